"""`check`: diagnose a recipe (or saved predictions, or take a stored report), then hold the report
to a policy — the quality gate CI runs.

Everything that can be wrong with the policy or the baseline is found before training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.gates import CheckPolicy, GateReport, evaluate
from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import Predictions
from dldoctor.provenance import Made, Named, check_same_recipe
from dldoctor.recipe import Recipe
from dldoctor.report import Report
from dldoctor.report.stored import load_report
from dldoctor.training import EpochCallback


@dataclass
class CheckRun:
    """The diagnosis and the gate's verdict on it; `to_dict()` is a schema-1 report with `check`.

    `report` is None when a stored report was gated: then `stored` is that report's JSON.
    """

    report: Report | None
    gate: GateReport
    stored: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        document = self.report.to_dict() if self.report is not None else self.stored or {}
        return {**document, "check": self.gate.to_dict()}


def load_baseline(policy: CheckPolicy, recipe: Named, force: bool = False) -> dict[str, Any] | None:
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


def check_predictions(
    predictions: Predictions,
    policy: CheckPolicy,
    options: DiagnoseOptions | None = None,
    *,
    force: bool = False,
) -> CheckRun:
    """The gate on a diagnosis from saved predictions: no model, no retraining."""
    policy = policy.for_task(predictions.task)
    baseline = load_baseline(policy, predictions, force)
    report = diagnose_predictions(predictions, options)
    return CheckRun(report, evaluate(report.to_dict(), policy, baseline))


def check_report(path: Path, policy: CheckPolicy, *, force: bool = False) -> CheckRun:
    """The gate on a stored report (from diagnose, the monitor or the callback), without retraining;
    a `check` section already in it is replaced."""
    document = {k: v for k, v in load_report(path).items() if k != "check"}
    policy = policy.for_task(document["task"])
    baseline = load_baseline(policy, Made(document["recipe"], document["task"]), force)
    return CheckRun(None, evaluate(document, policy, baseline), document)
