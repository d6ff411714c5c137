"""`check`: diagnose a recipe, then hold the report to a policy — the quality gate CI runs.

Everything that can be wrong with the policy or the baseline is found before training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.gates import CheckPolicy, GateReport, evaluate
from dldoctor.provenance import check_same_recipe
from dldoctor.recipe import Recipe
from dldoctor.report import Report
from dldoctor.report.stored import load_report
from dldoctor.training import EpochCallback


@dataclass
class CheckRun:
    """The diagnosis and the gate's verdict on it; `to_dict()` is a schema-1 report with `check`."""

    report: Report
    gate: GateReport

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "check": self.gate.to_dict()}


def load_baseline(policy: CheckPolicy, recipe: Recipe, force: bool = False) -> dict[str, Any] | None:
    """The stored report the policy compares with, checked to be of this recipe (or `force`d)."""
    if policy.baseline is None:
        return None
    baseline = load_report(policy.baseline, "baseline report")
    what = f"baseline report {policy.baseline}"
    check_same_recipe(what, baseline["recipe"], baseline["task"], recipe, force)
    return baseline


def check(
    recipe: Recipe,
    policy: CheckPolicy,
    options: DiagnoseOptions | None = None,
    on_epoch: EpochCallback | None = None,
    *,
    force: bool = False,
) -> CheckRun:
    """Validate the policy for the recipe's task, read the baseline, diagnose, evaluate the rules.
    `force` compares with a baseline of another recipe."""
    policy = policy.for_task(recipe.task)
    baseline = load_baseline(policy, recipe, force)
    report = diagnose(recipe, options, on_epoch)
    return CheckRun(report, evaluate(report.to_dict(), policy, baseline))
