"""The recipe: a user's model, data and training hyperparameters, and the loader for recipe files."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dldoctor.errors import RecipeError, user_code
from dldoctor.search_space import validate_declared

TASKS = ("classification", "regression", "multilabel")  # see dldoctor.task
PRECISIONS = ("fp32", "bf16", "fp16")

# A split is a pair (X, y) of numpy arrays or torch tensors, or a torch Dataset yielding (x, y).
SplitSource = Any


@dataclass(frozen=True)
class Splits:
    """The data sets a diagnosis compares. `train_dev` is carved out of `train` when None.

    `soft_labels` (classification, optional): annotators' class probabilities for the examples of
    the training distribution — shape (n,) with P(y=1|x) for two classes, or (n, K) rows summing
    to 1. With them the Bayes error is estimated without neighbours: mean(1 − max_k c_k).

    `metadata` (optional): per-example columns for error analysis by slice, keyed by split name —
    `{"dev": {"site": array, ...}}` or `{"dev": pandas.DataFrame}`, one row per example.
    """

    train: SplitSource
    dev: SplitSource
    test: SplitSource | None = None
    train_dev: SplitSource | None = None
    soft_labels: Any = None
    metadata: Any = None


@dataclass(frozen=True)
class Recipe:
    """Everything needed to train the user's model the way they train it.

    `model` builds a fresh torch.nn.Module (it may take keyword hyperparameters); `data(seed)`
    returns Splits. `optimizer` is a torch.optim name or a callable (params, lr, beta, weight_decay);
    `beta` is the first-moment coefficient (Adam-family β1, SGD/RMSprop momentum). `loss` maps
    (outputs, targets) to per-example losses (None: the task's own). `search_space` declares what
    `dldoctor tune` searches besides lr, β and batch size (see dldoctor.search_space).
    """

    name: str
    model: Callable[..., Any]
    data: Callable[[int], Splits]
    task: str = "classification"
    bayes_error: float | None = None
    target_error: float | None = None
    optimizer: str | Callable[..., Any] = "adam"
    optimizer_kwargs: Mapping[str, Any] | None = None  # e.g. {"eps": 1e-8}, checked against the optimiser
    lr: float = 1e-3
    beta: float = 0.9
    batch_size: int = 64
    epochs: int = 20
    weight_decay: float = 0.0
    description: str = ""
    baseline: Callable[..., Any] | None = None  # a shallower sibling of `model`, for the easier-model test
    search_space: dict[str, Any] | None = None
    scheduler: str | Callable[..., Any] | None = None  # a name in optim.SCHEDULES, or (optimizer, steps)
    loss: Callable[..., Any] | None = None
    grad_clip: float | None = None  # max global gradient norm
    precision: str = "fp32"
    accumulate: int = 1  # micro-batches per optimiser step
    shuffle: bool = True
    early_stopping: int | None = None  # patience in epochs on dev loss; the best epoch is measured

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (None values are ignored), validated."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None}).validate()

    def validate(self) -> Recipe:
        """Raise RecipeError naming the first unusable field; return self when all are usable."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise RecipeError("recipe name must be a non-empty string")
        if not isinstance(self.description, str):
            raise RecipeError(
                f"recipe '{self.name}': description must be a string, got {type(self.description).__name__}"
            )
        for field in ("model", "data", "baseline"):
            if field == "baseline" and self.baseline is None:
                continue
            if not callable(getattr(self, field)):
                raise RecipeError(
                    f"recipe '{self.name}': `{field}` must be a function "
                    f"(got {type(getattr(self, field)).__name__})"
                )
        _check_choice(self.name, "task", self.task, TASKS)
        _check_number(self.name, "lr", self.lr, low=0.0, low_open=True)
        _check_number(self.name, "beta", self.beta, low=0.0, high=1.0, high_open=True)
        _check_number(self.name, "weight_decay", self.weight_decay, low=0.0)
        _check_count(self.name, "batch_size", self.batch_size)
        _check_count(self.name, "epochs", self.epochs)
        self._validate_training()
        from dldoctor.task import get

        high = 1.0 if get(self.task).rate else math.inf
        for field in ("bayes_error", "target_error"):
            if getattr(self, field) is not None:
                _check_number(self.name, field, getattr(self, field), low=0.0, high=high)
        if self.search_space is not None:
            from dldoctor.optim import has_beta

            validate_declared(self.name, self.search_space, self.model, has_beta(self.optimizer))
        return self

    def _validate_training(self) -> None:
        """The fields that say how to train: optimiser, schedule, loss, clipping, precision, stopping."""
        from dldoctor import optim

        optim.validate_optimizer(
            self.name, self.optimizer, self.optimizer_kwargs, self.beta, self.weight_decay
        )
        optim.validate_scheduler(self.name, self.scheduler)
        if self.loss is not None and not callable(self.loss):
            raise RecipeError(
                f"recipe '{self.name}': `loss` must be a function (outputs, targets) -> per-example"
                f" losses, got {type(self.loss).__name__}"
            )
        if self.grad_clip is not None:
            _check_number(self.name, "grad_clip", self.grad_clip, low=0.0, low_open=True)
        _check_choice(self.name, "precision", self.precision, PRECISIONS)
        _check_count(self.name, "accumulate", self.accumulate)
        if not isinstance(self.shuffle, bool):
            raise RecipeError(f"recipe '{self.name}': shuffle must be True or False, got {self.shuffle!r}")
        if self.early_stopping is not None:
            _check_count(self.name, "early_stopping", self.early_stopping)


def _check_choice(recipe: str, field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RecipeError(f"recipe '{recipe}': unknown {field} {value!r}; use one of {', '.join(choices)}")


def _check_number(
    recipe: str,
    field: str,
    value: Any,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low)
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise RecipeError(
            f"recipe '{recipe}': {field} must be a number in {lo}{low}, {high}{hi}, got {value!r}"
        )


def _check_count(recipe: str, field: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RecipeError(f"recipe '{recipe}': {field} must be a positive integer, got {value!r}")


def split_spec(spec: str) -> tuple[Path, str]:
    """'path/to/file.py:NAME' -> (path, NAME); the attribute defaults to `recipe`."""
    path, sep, name = spec.rpartition(":")
    if sep and name.isidentifier() and path and not path.endswith(("\\", "/")):
        return Path(path), name
    return Path(spec), "recipe"


def load_recipe(spec: str | Path) -> Recipe:
    """Import a recipe file and return its validated Recipe (`PATH:NAME` picks the attribute).

    The file's own folder goes on sys.path so a recipe can import its sibling modules.
    """
    path, attribute = split_spec(str(spec))
    if not path.is_file():
        raise RecipeError(f"no recipe file at {path}: give the path of a .py file that defines `recipe`")
    module = _import_file(path.resolve())
    if not hasattr(module, attribute):
        raise RecipeError(
            f"{path} defines no `{attribute}`: add `{attribute} = dldoctor.Recipe(...)`"
            " or pick another attribute with PATH:NAME"
        )
    recipe = getattr(module, attribute)
    if not isinstance(recipe, Recipe):
        raise RecipeError(
            f"`{attribute}` in {path} is a {type(recipe).__name__}, not a dldoctor.Recipe:"
            " build it with dldoctor.Recipe(name=..., model=..., data=...)"
        )
    return recipe.validate()


def _import_file(path: Path) -> Any:
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    module_name = f"_dldoctor_recipe_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RecipeError(f"cannot import {path}: recipe files must be Python source (.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with user_code(f"importing {path.name}"):
            spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
