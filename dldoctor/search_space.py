"""The search space a recipe declares and a study searches: the built-in dimensions (lr, β, batch
size) on log scales, plus what a recipe declares with `search_space=`. Pure Python, so validating
a recipe does not import torch or Optuna.

Declared dimensions: `name: (low, high)` (ints → integer, floats → float), `name: (low, high, "log")`
for a log scale, `name: [a, b, c]` for a choice. `lr`, `beta`, `batch_size` and `weight_decay`
set the optimiser; every other name is a keyword argument of the recipe's model factory.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dldoctor.errors import RecipeError

LR_RANGE = (1e-5, 1.0)
ONE_MINUS_BETA_RANGE = (1e-3, 1e-1)
BATCH_RANGE = (16, 1024)
OPTIMISER_FIELDS = ("lr", "beta", "batch_size", "weight_decay")


@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter. `kind` says how the Optuna value maps to the setting:
    "float"/"int" as is, "choice" one of `choices`, "pow2" 2**value (the exponent is searched),
    "complement" 1 − value (β is searched as 1 − β). `target` is "recipe" or "model"."""

    name: str
    setting: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    target: str = "model"

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for this dimension's value (in Optuna's units)."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind in ("int", "pow2"):
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def decode(self, value: Any) -> Any:
        """The setting an Optuna value stands for."""
        if self.kind == "pow2":
            return 2 ** int(value)
        if self.kind == "complement":
            return 1.0 - float(value)
        return value

    def describe(self) -> str:
        if self.kind == "choice":
            return f"one of {', '.join(map(str, self.choices))}"
        if self.kind == "pow2":
            return f"powers of two {2 ** int(self.low)}..{2 ** int(self.high)}"
        scale = "log-uniform" if self.log else "uniform"
        number = "integer " if self.kind == "int" else ""
        span = f"{number}{scale} [{self.low:g}, {self.high:g}]"
        if self.kind == "complement":
            return f"1−{self.setting} {span} ({self.setting} {1 - self.high:g}..{1 - self.low:g})"
        return span

    def position(self, value: Any) -> float | None:
        """Where `value` (Optuna units) sits in the range: 0 low edge, 1 high edge (log-aware)."""
        if self.kind == "choice" or self.high <= self.low:
            return None
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class SearchSpace:
    """The dimensions a study searches, in the order they are suggested."""

    dimensions: tuple[Dimension, ...]

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {d.name: d.suggest(trial) for d in self.dimensions}

    def decode(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(recipe field changes, model keyword arguments) for a trial's Optuna params."""
        recipe: dict[str, Any] = {}
        model: dict[str, Any] = {}
        for d in self.dimensions:
            if d.name in params:
                (recipe if d.target == "recipe" else model)[d.setting] = d.decode(params[d.name])
        return recipe, model

    def get(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def with_dimension(self, dimension: Dimension) -> SearchSpace:
        """This space with `dimension` added, or replacing the one of the same name."""
        if self.get(dimension.name) is None:
            return SearchSpace((*self.dimensions, dimension))
        return SearchSpace(tuple(dimension if d.name == dimension.name else d for d in self.dimensions))

    def signature(self) -> list[list[Any]]:
        """A JSON-able fingerprint: a resumed study must search the same space."""
        return [[d.name, d.kind, d.low, d.high, d.log, list(d.choices)] for d in self.dimensions]


def lr_dimension(low: float, high: float) -> Dimension:
    return Dimension("lr", "lr", "float", low, high, log=True, target="recipe")


def beta_dimension(low: float, high: float) -> Dimension:
    """β searched as 1 − β on a log scale: 0.9 → 0.99 → 0.999 are equal steps."""
    return Dimension("one_minus_beta", "beta", "complement", low, high, log=True, target="recipe")


def batch_dimension(low: int, high: int, n_train: int) -> Dimension:
    """Batch size as a power of two, capped by the training-set size."""
    top = min(int(math.log2(high)), int(math.log2(max(n_train, 1))))
    bottom = min(int(math.log2(low)), top)
    return Dimension("log2_batch_size", "batch_size", "pow2", bottom, top, target="recipe")


def build_space(
    declared: Mapping[str, Any] | None,
    model: Callable[..., Any],
    n_train: int,
    recipe: str = "recipe",
    beta: bool = True,
) -> SearchSpace:
    """The default space with the recipe's declarations applied (overrides and extra dimensions).

    `beta` False: the optimiser has no first-moment coefficient, so β is not a dimension."""
    spec = dict(declared or {})
    lr = _range(recipe, "lr", spec.pop("lr", LR_RANGE), positive=True)
    one_minus_beta = ONE_MINUS_BETA_RANGE
    if "beta" in spec:
        if not beta:
            raise RecipeError(
                f"recipe '{recipe}': search_space['beta']: the optimizer has no first-moment coefficient"
                " (β); remove it or pick an optimizer with momentum or betas"
            )
        low, high = _range(recipe, "beta", spec.pop("beta"), below_one=True)
        one_minus_beta = (1 - high, 1 - low)
    batch = _batch_range(recipe, spec.pop("batch_size", BATCH_RANGE))
    dims = [lr_dimension(*lr), *([beta_dimension(*one_minus_beta)] if beta else [])]
    dims.append(batch_dimension(*batch, n_train))
    accepted = model_keywords(model)
    for name, value in spec.items():
        dims.append(parse_dimension(recipe, name, value, accepted))
    return SearchSpace(tuple(dims))


def validate_declared(recipe: str, declared: Any, model: Callable[..., Any], beta: bool = True) -> None:
    """Raise RecipeError naming the first unusable `search_space` entry."""
    if not isinstance(declared, Mapping):
        raise RecipeError(
            f"recipe '{recipe}': search_space must be a dict of name → (low, high) or [choices],"
            f" got {type(declared).__name__}"
        )
    build_space(declared, model, n_train=2**30, recipe=recipe, beta=beta)


def parse_dimension(recipe: str, name: Any, value: Any, accepted: set[str] | None) -> Dimension:
    """One declared dimension; `accepted` is the model factory's keywords (None: it takes **kwargs)."""
    if not (isinstance(name, str) and name.isidentifier()):
        raise RecipeError(f"recipe '{recipe}': search_space key {name!r} must be a Python identifier")
    target = "recipe" if name in OPTIMISER_FIELDS else "model"
    if target == "model" and accepted is not None and name not in accepted:
        known = ", ".join(sorted(accepted)) or "none"
        raise RecipeError(
            f"recipe '{recipe}': search_space declares {name!r} but the model factory takes no such"
            f" keyword argument (it takes: {known})"
        )
    if isinstance(value, list):
        if not value:
            raise RecipeError(f"recipe '{recipe}': search_space[{name!r}] lists no choices")
        return Dimension(name, name, "choice", choices=tuple(value), target=target)
    log = isinstance(value, tuple) and len(value) == 3 and value[2] == "log"
    low, high = _range(recipe, name, value[:2] if log else value, positive=log)
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
    return Dimension(name, name, "int" if integer else "float", low, high, log=log, target=target)


def model_keywords(model: Callable[..., Any]) -> set[str] | None:
    """Keyword arguments the model factory accepts; None when it takes **kwargs or has no signature."""
    try:
        parameters = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    usable = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in usable}


def _range(
    recipe: str, name: str, value: Any, *, positive: bool = False, below_one: bool = False
) -> tuple[Any, Any]:
    usage = f"(low, high), (low, high, 'log') or [choices]; got {value!r}"
    if not (isinstance(value, tuple) and len(value) == 2):
        raise RecipeError(f"recipe '{recipe}': search_space[{name!r}] must be {usage}")
    low, high = value
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    if not numbers or low >= high:
        raise RecipeError(
            f"recipe '{recipe}': search_space[{name!r}] needs two numbers low < high, got {value!r}"
        )
    if positive and low <= 0:
        raise RecipeError(f"recipe '{recipe}': search_space[{name!r}] is on a log scale: low must be > 0")
    if below_one and not (low >= 0 and high < 1):
        raise RecipeError(f"recipe '{recipe}': search_space['beta'] must lie in [0, 1), got {value!r}")
    return low, high


def _batch_range(recipe: str, value: Any) -> tuple[int, int]:
    low, high = _range(recipe, "batch_size", value, positive=True)
    if not all(isinstance(v, int) and v & (v - 1) == 0 for v in (low, high)):
        raise RecipeError(
            f"recipe '{recipe}': search_space['batch_size'] must be two powers of two, got {value!r}"
        )
    return low, high


def widen(dimension: Dimension, factor: float) -> Dimension:
    """The dimension with its upper end raised by `factor` (capacity: wider layers, more of them)."""
    high = dimension.high * factor
    return replace(dimension, high=int(high) if dimension.kind == "int" else high)
