"""Diagnosis-aware tuning: shape the search space by what `diagnose` found, and say why.

Optimisation failure → an lr range centred on a better guess, with β and batch size; high variance →
add weight decay (where the optimiser takes it) and dropout (where the model does); high bias → widen
the capacity dimensions the recipe declares; data mismatch or dev overfitting → tuning on dev cannot
fix it, so stop unless forced. The diagnosis is read as the report model, fresh or stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.errors import TuningWontHelp, UsageError
from dldoctor.optim import field_label, has_weight_decay
from dldoctor.provenance import check_same_recipe
from dldoctor.recipe import Recipe
from dldoctor.report.model import ReportData
from dldoctor.report.stored import read_report as read_stored
from dldoctor.search_space import Dimension, SearchSpace, lr_dimension, model_keywords, widen
from dldoctor.tuning.options import TuneOptions

DECADES = 2  # the lr range spans this many decades either side of its centre
WEIGHT_DECAY = (1e-6, 1e-2)
DROPOUT = (0.0, 0.5)
CAPACITY_FACTOR = 4  # how far the upper end of a declared capacity dimension is raised
UNFIXABLE = {
    "data_mismatch": "dev differs from the training distribution; collect or synthesise training data"
    " that looks like dev (see the report's advice)",
    "dev_overfit": "choices tuned on dev have overfit it, and tuning on dev again makes that worse;"
    " get a bigger dev set",
}


@dataclass(frozen=True)
class Guidance:
    """What the diagnosis said, and how to reshape the space for it (a SpaceAdjuster).

    `optimizer`: the recipe's optimiser, named, and whether it takes weight decay.
    """

    verdict: str
    lr_centre: float | None
    lr_source: str
    model_accepts: frozenset[str] | None
    optimizer: str = "adam"
    decays: bool = True

    def __call__(self, space: SearchSpace) -> tuple[SearchSpace, list[str]]:
        if self.verdict == "optimization_failure":
            return self._optimisation(space)
        if self.verdict == "high_variance":
            return self._variance(space)
        if self.verdict == "high_bias":
            return self._bias(space)
        if self.verdict in UNFIXABLE:
            return space, [f"Tuning anyway (--force), although the diagnosis is {self.verdict}."]
        return space, [f"Diagnosis: {self.verdict}; searching the default space."]

    def _optimisation(self, space: SearchSpace) -> tuple[SearchSpace, list[str]]:
        centre = self.lr_centre or 1e-3
        low, high = centre / 10**DECADES, centre * 10**DECADES
        note = (
            f"Optimisation failure: lr searched on [{low:.2g}, {high:.2g}], {DECADES} decades either side"
            f" of {self.lr_source} ({centre:.2g});"
            f" {'β and batch size' if space.get('one_minus_beta') else 'batch size'} searched too."
        )
        return space.with_dimension(lr_dimension(low, high)), [note]

    def _variance(self, space: SearchSpace) -> tuple[SearchSpace, list[str]]:
        notes = ["High variance: searching regularisation."]
        declared = space.get("weight_decay") is not None
        if not declared and self.decays:
            space = space.with_dimension(
                Dimension("weight_decay", "weight_decay", "float", *WEIGHT_DECAY, log=True, target="recipe")
            )
            notes.append(f"Added weight decay, log-uniform {WEIGHT_DECAY[0]:g}..{WEIGHT_DECAY[1]:g}.")
        elif not declared:
            notes.append(
                f"Weight decay not searched: {self.optimizer} takes no weight_decay. To have it searched,"
                " use an optimiser that takes it (adamw, sgd); more training data or augmentation also"
                " narrows the gap."
            )
        if space.get("dropout") is not None:
            notes.append("Dropout is already declared by the recipe.")
        elif self.model_accepts is None or "dropout" in self.model_accepts:
            space = space.with_dimension(Dimension("dropout", "dropout", "float", *DROPOUT))
            notes.append(
                f"Added dropout, uniform {DROPOUT[0]:g}..{DROPOUT[1]:g} (the model takes `dropout`)."
            )
        else:
            notes.append("The model factory takes no `dropout` keyword: add one to have dropout searched.")
        return space, notes

    def _bias(self, space: SearchSpace) -> tuple[SearchSpace, list[str]]:
        capacity = [d for d in space.dimensions if d.target == "model" and d.kind == "int"]
        if not capacity:
            return space, [
                "High bias: the recipe declares no capacity dimension (an integer model keyword such as"
                " a width or depth); declare one, e.g. search_space={'hidden': (64, 1024)}, to search it."
            ]
        notes = ["High bias: widening the capacity dimensions the recipe declares."]
        for dim in capacity:
            wider = widen(dim, CAPACITY_FACTOR)
            space = space.with_dimension(wider)
            notes.append(f"{dim.setting}: upper end {dim.high:g} → {wider.high:g}.")
        return space, notes


def read_report(path: Path) -> ReportData:
    """A `dldoctor diagnose --json` report, checked against the report schema."""
    if not path.exists():
        raise UsageError(
            f"no diagnosis report at {path}: write one with `dldoctor diagnose RECIPE --json {path}`"
        )
    return read_stored(path, "diagnosis report")


def guidance(report: ReportData, recipe: Recipe, force: bool) -> Guidance:
    """The space shaping the report calls for; raises TuningWontHelp for what tuning cannot fix.
    A report of another recipe shapes the space only when `force`d; one of another task never."""
    check_same_recipe("the diagnosis report", report.recipe, report.task, recipe, force)
    verdict = report.verdict
    if verdict in UNFIXABLE and not force:
        raise TuningWontHelp(
            f"the diagnosis is {verdict}: tuning hyperparameters will not fix it — {UNFIXABLE[verdict]}."
            " Pass --force to tune anyway"
        )
    centre, source = _lr_centre(report, recipe)
    accepts = model_keywords(recipe.model)
    return Guidance(
        verdict,
        centre,
        source,
        None if accepts is None else frozenset(accepts),
        field_label(recipe.optimizer),
        has_weight_decay(recipe.optimizer),
    )


def _lr_centre(report: ReportData, recipe: Recipe) -> tuple[float | None, str]:
    suggested = None if report.lr_range_test is None else report.lr_range_test.suggested_lr
    if suggested is not None and _positive(suggested):
        return suggested, "the LR range test's suggestion"
    if _positive(report.setup.lr):
        return report.setup.lr, "the diagnosed run's lr"
    return recipe.lr, "the recipe's lr"


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


@dataclass(frozen=True)
class Shaping:
    """What shapes a study's space: the guidance (None: the recipe's own space), and, when a fresh
    diagnosis was run for it (--auto), that diagnosis in one line."""

    guidance: Guidance | None
    diagnosis: str | None = None


def shape_space(
    recipe: Recipe, options: TuneOptions, report_path: Path | None, auto: bool, force: bool
) -> Shaping:
    """Guidance from a stored report (--from-diagnosis) or a diagnosis run now (--auto), or none."""
    if report_path is not None and auto:
        raise UsageError("use --from-diagnosis or --auto, not both")
    if report_path is not None:
        return Shaping(guidance(read_report(report_path), recipe, force))
    if not auto:
        return Shaping(None)
    report = diagnose(
        recipe, DiagnoseOptions(seed=options.seed, device=options.device, epochs=options.epochs)
    )
    said = f"{report.verdict} — {report.diagnosis.reason}"
    return Shaping(guidance(report.data(), recipe, force), said)
