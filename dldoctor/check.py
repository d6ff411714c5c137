"""`check`: diagnose a recipe (or saved predictions, or take a stored report), then hold the report
to a policy — the quality gate CI runs.

Everything that can be wrong with the policy or the baseline is found before training starts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.gates import CheckPolicy, GateReport, evaluate
from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import Predictions
from dldoctor.provenance import Made, Named, check_same_recipe
from dldoctor.recipe import Recipe
from dldoctor.report import Report
from dldoctor.report.model import ReportData
from dldoctor.report.stored import read_report
from dldoctor.training import EpochCallback


@dataclass
class CheckRun:
    """The diagnosis, the gate's verdict on it, and both as one report model (`data`, with `check`).

    `report` is None when a stored report was gated.
    """

    report: Report | None
    gate: GateReport
    data: ReportData

    @classmethod
    def of(
        cls, report: Report | None, data: ReportData, policy: CheckPolicy, baseline: ReportData | None
    ) -> CheckRun:
        """Evaluate the policy's rules on `data`; a `check` section already in it is replaced."""
        gate = evaluate(data, policy, baseline)
        return cls(report, gate, replace(data, check=gate))

    def to_dict(self) -> dict[str, Any]:
        """A schema-1 report with its `check` section."""
        return self.data.to_dict()


def load_baseline(policy: CheckPolicy, recipe: Named, force: bool = False) -> ReportData | None:
    """The stored report the policy compares with, checked to be of this recipe (or `force`d)."""
    if policy.baseline is None:
        return None
    baseline = read_report(policy.baseline, "baseline report")
    what = f"baseline report {policy.baseline}"
    check_same_recipe(what, baseline.recipe, baseline.task, recipe, force)
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
    return CheckRun.of(report, report.data(), policy, baseline)


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
    return CheckRun.of(report, report.data(), policy, baseline)


def check_report(path: Path, policy: CheckPolicy, *, force: bool = False) -> CheckRun:
    """The gate on a stored report (from diagnose, the monitor or the callback), without retraining;
    a `check` section already in it is replaced."""
    data = replace(read_report(path), check=None)
    policy = policy.for_task(data.task)
    baseline = load_baseline(policy, Made(data.recipe, data.task), force)
    return CheckRun.of(None, data, policy, baseline)
