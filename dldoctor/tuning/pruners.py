"""Pruners by name: a registry of factories. Pruners read the dev metric reported after every
epoch; each factory takes the full budget in epochs."""

from __future__ import annotations

from collections.abc import Callable

import optuna
from optuna.pruners import BasePruner

from dldoctor.errors import UsageError

PrunerFactory = Callable[[int], BasePruner]

PRUNERS: dict[str, PrunerFactory] = {
    "median": lambda epochs: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    "asha": lambda epochs: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    "hyperband": lambda epochs: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=epochs, reduction_factor=3
    ),
    "none": lambda epochs: optuna.pruners.NopPruner(),
}


def make_pruner(name: str, epochs: int) -> BasePruner:
    factory = PRUNERS.get(name)
    if factory is None:
        raise UsageError(f"--pruner: unknown pruner {name!r}; use one of {', '.join(PRUNERS)}")
    return factory(epochs)
