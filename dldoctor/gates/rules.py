"""The rules a policy asks for, each a named condition on the report model.

Maxima (errors, gaps, and the error analysis's dev label noise, calibration error and worst
slice gap) judge the point estimate and its interval together: FAIL when the
estimate is above the maximum; WARN when only the interval's upper end is (the data cannot rule
out a breach); PASS otherwise. A gap's interval is the one the diagnosis reports, simultaneous
over all gaps. A maximum whose number the run does not have (no test set, a diverged run) is
an ERROR: a gate that cannot be evaluated must not quietly pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dldoctor import fmt
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.gates.policy import CheckPolicy
from dldoctor.gates.regression import compare
from dldoctor.gates.results import RuleResult, Status
from dldoctor.stats import Estimate, Interval, as_estimate
from dldoctor.task import get

if TYPE_CHECKING:  # the report model reads a stored `check` section back through this package
    from dldoctor.report.model import ReportData

Outcome = tuple[Status, str, dict[str, Any]]
Condition = Callable[["ReportData"], Outcome]

ERROR_MAXIMA = {"max_dev_error": "dev", "max_test_error": "test"}
GAP_MAXIMA = {
    "max_avoidable_bias": "avoidable_bias",
    "max_variance": "variance",
    "max_mismatch": "data_mismatch",
    "max_dev_overfit": "dev_overfit",
}
BASELINE_RULE = "dev error not significantly worse than baseline"
Reading = tuple[float | None, Interval | None, str]  # value, interval, why the value is missing


def _from_errors(values: str, intervals: str, name: str) -> Callable[[ReportData], Reading]:
    """A split's error (values="errors") or a gap (values="gaps"), with its interval."""

    def read(report: ReportData) -> Reading:
        return getattr(report, values).get(name), getattr(report, intervals).get(name), _missing(name)

    return read


def _from_analysis(
    part: str, estimate: Callable[[ErrorAnalysis], Estimate | None]
) -> Callable[[ReportData], Reading]:
    """An estimate inside the error analysis's `part` (a non-finite number reads as missing)."""

    def read(report: ReportData) -> Reading:
        analysis = report.error_analysis
        if analysis is None:
            return None, None, "error analysis did not run (--no-errors)"
        found = estimate(analysis)
        if found is None:
            return (
                None,
                None,
                analysis.skipped.get(part, f"the error analysis has no {part.replace('_', ' ')}"),
            )
        return _finite(found.value), [_finite(found.low), _finite(found.high)], ""

    return read


def _dev_noise(analysis: ErrorAnalysis) -> Estimate | None:
    noise = analysis.label_noise.get("dev")
    return None if noise is None else noise.rate


def _ece(analysis: ErrorAnalysis) -> Estimate | None:
    return None if analysis.calibration is None else analysis.calibration.ece


def _worst_slice(analysis: ErrorAnalysis) -> Estimate | None:
    worst = None if analysis.slices is None else analysis.slices.worst
    return None if worst is None else worst.gap


ANALYSIS_MAXIMA = {  # attribute: (what, the error analysis's part, its estimate, read as a gap)
    "max_label_noise": ("dev label noise", "label_noise", _dev_noise, False),
    "max_ece": ("dev calibration error (ECE)", "calibration", _ece, False),
    "max_slice_gap": ("worst dev slice gap", "slices", _worst_slice, True),
}


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition

    def run(self, report: ReportData) -> RuleResult:
        """Evaluate; a condition that raises becomes an ERROR result, never a crashed run."""
        try:
            status, message, numbers = self.condition(report)
        except Exception as exc:
            return RuleResult(self.name, Status.ERROR, f"the rule raised {type(exc).__name__}: {exc}")
        return RuleResult(self.name, status, message, numbers)


def rules_for(policy: CheckPolicy, task: str, baseline: ReportData | None = None) -> list[Rule]:
    """The policy's rules in a fixed order: error maxima, gap maxima, error-analysis maxima, kinds,
    baseline."""
    found: list[Rule] = []
    for attribute, split in ERROR_MAXIMA.items():
        limit = getattr(policy, attribute)
        if limit is not None:
            what = f"{fmt.split(split)} error"
            label = f"{what} ≤ {_limit(limit, task, gap=False)}"
            found.append(
                Rule(label, _at_most(_from_errors("errors", "intervals", split), what, limit, False))
            )
    for attribute, gap in GAP_MAXIMA.items():
        limit = getattr(policy, attribute)
        if limit is not None:
            what = f"{gap.replace('_', ' ')} gap"
            label = f"{what} ≤ {_limit(limit, task, gap=True)}"
            found.append(Rule(label, _at_most(_from_errors("gaps", "gap_intervals", gap), what, limit, True)))
    for attribute, (what, part, estimate, signed) in ANALYSIS_MAXIMA.items():
        limit = getattr(policy, attribute)
        if limit is not None:
            label = f"{what} ≤ {_limit(limit, task, gap=signed)}"
            found.append(Rule(label, _at_most(_from_analysis(part, estimate), what, limit, signed)))
    found += [Rule(f"no {kind} finding", _absent(kind, Status.FAIL)) for kind in policy.fail_on]
    found += [Rule(f"no {kind} finding (warn)", _absent(kind, Status.WARN)) for kind in policy.warn_on]
    if baseline is not None:
        found.append(Rule(BASELINE_RULE, _not_worse(baseline, policy.baseline_tolerance)))
    return found


def _at_most(read: Callable[[ReportData], Reading], what: str, limit: float, signed: bool) -> Condition:
    def condition(report: ReportData) -> Outcome:
        task = report.task
        value, interval, missing = read(report)
        if value is None:
            return Status.ERROR, f"this run has no {what} to check ({missing})", {"maximum": limit}
        numbers = {"value": value, "interval": interval, "maximum": limit}
        shown = _shown(value, interval, task, signed=signed)
        limit_text = _limit(limit, task, gap=signed)
        if value > limit:
            return Status.FAIL, f"{what} {shown} is above the maximum {limit_text}", numbers
        if interval is not None and (interval[1] is None or interval[1] > limit):
            return (
                Status.WARN,
                f"{what} {shown} is within {limit_text}, but its interval reaches above it:"
                " the data cannot rule out a breach",
                numbers,
            )
        return Status.PASS, f"{what} {shown} is within {limit_text}", numbers

    return condition


def _absent(kind: str, status: Status) -> Condition:
    def condition(report: ReportData) -> Outcome:
        hits = [f for f in report.findings if f.kind == kind]
        if not hits:
            return Status.PASS, f"no {kind} finding (verdict: {report.verdict})", {}
        numbers = {"severity": hits[0].severity, "verdict": report.verdict}
        return status, f"found {kind}: {hits[0].summary}", numbers

    return condition


def _not_worse(baseline: ReportData, tolerance: float) -> Condition:
    def condition(report: ReportData) -> Outcome:
        comparison = compare(report, baseline, tolerance)
        delta = comparison.delta("dev")
        if delta.difference is None:
            missing = "this run" if delta.current is None else "the baseline"
            return Status.ERROR, f"{missing} has no dev error to compare", {}
        task, diff = report.task, delta.difference
        level = fmt.confidence(comparison.confidence)
        numbers = {"baseline": delta.baseline, "current": delta.current, **delta.to_dict()}
        said = (
            f"dev error {fmt.error(delta.current, task)} vs baseline {fmt.error(delta.baseline, task)}:"
            f" {fmt.gap(diff.value, task)} ({level} CI {fmt.interval(diff, task, signed=True)})"
        )
        if delta.change == "worse":
            return Status.FAIL, f"{said} — significantly worse", numbers
        if diff.value >= max(report.materiality, tolerance):
            return Status.WARN, f"{said} — worse by a material amount, but within noise", numbers
        return Status.PASS, f"{said} — not significantly worse", numbers

    return condition


def _shown(value: float, interval: Interval | None, task: str, signed: bool) -> str:
    number = (fmt.gap if signed else fmt.error)(value, task)
    if interval is None:
        return number
    return f"{number} (CI {fmt.interval(as_estimate(value, interval), task, signed=signed)})"


def _limit(limit: float, task: str, gap: bool) -> str:
    """A threshold as the user wrote it, not rounded: 0.0001 reads 0.01%, not 0.0%."""
    if not get(task).rate:
        return f"{limit:g}"
    return f"{100 * limit:g} pts" if gap else f"{100 * limit:g}%"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _missing(name: str) -> str:
    if name in ("test", "dev_overfit"):
        return "the recipe has no test split"
    return "the value was not finite or could not be estimated"
