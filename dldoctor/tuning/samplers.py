"""Samplers and pruners by name, and the two-phase sampler (quasi-random exploration, then adaptive)."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.samplers import BaseSampler

from dldoctor.errors import UsageError

SAMPLERS = ("tpe", "qmc", "random", "gp")
PRUNERS = ("median", "asha", "hyperband", "none")


def make_sampler(name: str, seed: int | None, explore: int, qmc_seed: int) -> BaseSampler:
    """`seed` seeds this worker's sampler; `qmc_seed` is shared by all workers (one Sobol sequence).
    With `explore` > 0 the first `explore` trials are quasi-random whatever the main sampler."""
    if name not in SAMPLERS:
        raise UsageError(f"--sampler: unknown sampler {name!r}; use one of {', '.join(SAMPLERS)}")
    if name == "tpe":
        main: BaseSampler = optuna.samplers.TPESampler(multivariate=True, seed=seed, constant_liar=True)
    elif name == "gp":
        main = optuna.samplers.GPSampler(seed=seed)
    elif name == "random":
        main = optuna.samplers.RandomSampler(seed=seed)
    else:
        main = _qmc(qmc_seed)
    return PhasedSampler(_qmc(qmc_seed), main, explore) if explore > 0 and name != "qmc" else main


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """Pruners read the dev metric reported after every epoch; `epochs` is the full budget."""
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if name == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise UsageError(f"--pruner: unknown pruner {name!r}; use one of {', '.join(PRUNERS)}")


def _qmc(seed: int) -> BaseSampler:
    return optuna.samplers.QMCSampler(
        qmc_type="sobol", scramble=True, seed=seed, warn_independent_sampling=False
    )


class PhasedSampler(BaseSampler):
    """Trials numbered below `switch_at` come from `first`, the rest from `then`.

    Quasi-random exploration covers the space evenly before an adaptive sampler concentrates.
    """

    def __init__(self, first: BaseSampler, then: BaseSampler, switch_at: int) -> None:
        self.first = first
        self.then = then
        self.switch_at = switch_at

    def _for(self, trial: Any) -> BaseSampler:
        return self.first if trial.number < self.switch_at else self.then

    def infer_relative_search_space(self, study: optuna.Study, trial: Any) -> dict:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study: optuna.Study, trial: Any, search_space: dict) -> dict:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: Any, param_name: str, param_distribution: Any
    ) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: Any) -> None:
        self._for(trial).before_trial(study, trial)

    def after_trial(self, study: optuna.Study, trial: Any, state: Any, values: Any) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.first.reseed_rng()
        self.then.reseed_rng()
