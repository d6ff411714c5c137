"""What `diagnose` and `check` read — a recipe, saved predictions or a stored report, exactly one —
and running them on whichever was given. A front end passes a view to show training progress."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from dldoctor.check import CheckRun, check, check_predictions, check_report
from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.errors import UsageError
from dldoctor.gates import CheckPolicy
from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import load_predictions
from dldoctor.recipe import Recipe, load_recipe
from dldoctor.report import Report
from dldoctor.training import EpochCallback

# (the recipe, the epochs it will train) -> a context yielding the epoch callback that shows progress.
TrainingView = Callable[[Recipe, int], AbstractContextManager[EpochCallback | None]]


@dataclass(frozen=True)
class Source:
    """`kind` is "recipe" (`spec` is FILE or FILE:NAME), "predictions" or "report" (`spec` a file)."""

    kind: str
    spec: str


def choose_source(**given: str | Path | None) -> Source:
    """The one source given, by its option name; a UsageError naming the choices otherwise."""
    chosen = [name for name, value in given.items() if value is not None]
    if len(chosen) != 1:
        names = " or ".join("RECIPE" if name == "recipe" else f"--{name} FILE" for name in given)
        got = f" (got {' and '.join(chosen)})" if chosen else ""
        raise UsageError(f"give exactly one of {names}{got}")
    return Source(chosen[0], str(given[chosen[0]]))


def diagnose_source(
    source: Source,
    options: DiagnoseOptions,
    *,
    task: str | None = None,
    params: Path | None = None,
    force: bool = False,
    view: TrainingView | None = None,
    note: Callable[[str], None] = lambda message: None,
) -> Report:
    """Diagnose saved predictions (no model), or train the recipe with `params` (a `tune --export`
    file, `force`d when of another recipe) applied; `note` hears where those params came from."""
    if source.kind == "predictions":
        return diagnose_predictions(load_predictions(Path(source.spec), task), options)
    recipe = load_recipe(source.spec)
    if params is not None:
        from dldoctor.tuning.params import load_params

        recipe, notes = load_params(recipe, params, options.seed, force)
        for line in notes:
            note(line)
    with _watch(view, recipe, options) as on_epoch:
        return diagnose(recipe, options, on_epoch=on_epoch)


def check_source(
    source: Source,
    policy: CheckPolicy,
    options: DiagnoseOptions,
    *,
    task: str | None = None,
    force: bool = False,
    view: TrainingView | None = None,
) -> CheckRun:
    """The gate on a stored report, on saved predictions, or on a recipe trained now."""
    if source.kind == "report":
        return check_report(Path(source.spec), policy, force=force)
    if source.kind == "predictions":
        found = load_predictions(Path(source.spec), task)
        return check_predictions(found, policy, options.validate(), force=force)
    recipe = load_recipe(source.spec)
    with _watch(view, recipe, options) as on_epoch:
        return check(recipe, policy, options.validate(), on_epoch=on_epoch, force=force)


def _watch(
    view: TrainingView | None, recipe: Recipe, options: DiagnoseOptions
) -> AbstractContextManager[EpochCallback | None]:
    return nullcontext(None) if view is None else view(recipe, options.epochs or recipe.epochs)
