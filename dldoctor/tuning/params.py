"""Tuned parameters as a file: `tune --export FILE` writes it, `diagnose RECIPE --params FILE` reads it."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dldoctor.errors import ParamsError
from dldoctor.outputs import write_text
from dldoctor.provenance import check_same_recipe
from dldoctor.recipe import Recipe
from dldoctor.search_space import model_keywords

if TYPE_CHECKING:  # reading a params file (diagnose --params) need not import Optuna
    from dldoctor.tuning.results import TuneResult

KIND = "dldoctor-params"
SCHEMA = 1
RECIPE_FIELDS = ("lr", "beta", "batch_size", "weight_decay", "epochs")


@dataclass(frozen=True)
class TunedParams:
    """The best trial's settings: optimiser fields of the Recipe and the model factory's keywords."""

    recipe: str
    study: str
    trial: int
    metric: str
    value: float | None  # None when the best value was not finite (JSON has no inf)
    seed: int
    recipe_params: dict[str, Any]
    model_params: dict[str, Any]


def write_params(params: TunedParams, path: Path) -> None:
    """Write atomically, so a reader never sees half a file."""
    text = json.dumps({"kind": KIND, "schema": SCHEMA, **asdict(params)}, indent=2, allow_nan=False)
    write_text(path, text + "\n")


def read_params(path: Path) -> TunedParams:
    if not path.is_file():
        raise ParamsError(f"no params file at {path}: write one with `dldoctor tune RECIPE --export {path}`")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParamsError(f"{path} is not a params file: {exc}") from None
    if not (isinstance(data, dict) and data.get("kind") == KIND and data.get("schema") == SCHEMA):
        raise ParamsError(
            f"{path} is not a dldoctor params file (schema {SCHEMA}) from `dldoctor tune --export`"
        )
    try:
        params = TunedParams(**{k: data[k] for k in TunedParams.__dataclass_fields__})
    except KeyError as exc:
        raise ParamsError(
            f"{path} lacks the field {exc.args[0]!r}; export it again with dldoctor tune"
        ) from None
    unknown = set(params.recipe_params) - set(RECIPE_FIELDS)
    if unknown or not isinstance(params.model_params, dict):
        raise ParamsError(f"{path}: unusable recipe_params {sorted(unknown)}; use {', '.join(RECIPE_FIELDS)}")
    return params


def apply_params(recipe: Recipe, params: TunedParams, force: bool = False) -> Recipe:
    """The recipe with the tuned optimiser settings, its model factory bound to the tuned keywords;
    params tuned for another recipe only when `force`d."""
    check_same_recipe(f"params of study '{params.study}'", params.recipe, None, recipe, force)
    accepted = model_keywords(recipe.model)
    missing = sorted(set(params.model_params) - accepted) if accepted is not None else []
    if missing:
        raise ParamsError(
            f"the params set {', '.join(missing)} but recipe '{recipe.name}''s model factory takes no such"
            " keyword argument"
        )
    model = functools.partial(recipe.model, **params.model_params) if params.model_params else None
    return recipe.replace(**params.recipe_params, model=model)


def export_best(result: TuneResult, path: Path) -> bool:
    """Write the params file of the study's best trial; False when no trial completed."""
    best, setup = result.best, result.setup
    if best is None:
        return False
    params = TunedParams(
        recipe=setup.recipe,
        study=setup.study,
        trial=best.number,
        metric=setup.options.metric,
        value=best.value if math.isfinite(best.value) else None,
        seed=result.seed,
        recipe_params=best.recipe_params,
        model_params=best.model_params,
    )
    write_params(params, path)
    return True


def load_params(recipe: Recipe, path: Path, seed: int, force: bool = False) -> tuple[Recipe, list[str]]:
    """The recipe with a params file applied, and what to tell the user about where it came from."""
    params = read_params(path)
    notes = [f"Using trial {params.trial} of study '{params.study}' from {path}"]
    if params.seed != seed:
        notes.append(f"That trial ran with seed {params.seed}; pass --seed {params.seed} to reproduce it.")
    return apply_params(recipe, params, force), notes
