"""Quality gates: a policy of named rules, each evaluated on a report to PASS, WARN, FAIL or ERROR.

Pure logic on the report model, so a fresh run and a stored report are judged the same way and
nothing here needs torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dldoctor.gates.policy import CheckPolicy, load_policy
from dldoctor.gates.regression import Comparison, Delta, compare
from dldoctor.gates.results import GateReport, RuleResult, Status
from dldoctor.gates.rules import Rule, rules_for

if TYPE_CHECKING:  # the report model reads a stored `check` section back through this package
    from dldoctor.report.model import ReportData

__all__ = [
    "CheckPolicy",
    "Comparison",
    "Delta",
    "GateReport",
    "Rule",
    "RuleResult",
    "Status",
    "compare",
    "evaluate",
    "load_policy",
]


def evaluate(report: ReportData, policy: CheckPolicy, baseline: ReportData | None = None) -> GateReport:
    """Run every rule of `policy` on `report`; with a baseline, also build the delta table."""
    results = tuple(rule.run(report) for rule in rules_for(policy, report.task, baseline))
    return GateReport(results, policy, _comparison(report, baseline, policy))


def _comparison(report: ReportData, baseline: ReportData | None, policy: CheckPolicy) -> Comparison | None:
    """The delta table is shown when it can be built; when it cannot, the baseline rule says why."""
    if baseline is None:
        return None
    try:
        return compare(report, baseline, policy.baseline_tolerance)
    except Exception:
        return None
