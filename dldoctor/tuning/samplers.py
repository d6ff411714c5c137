"""Samplers by name: a registry of factories, each taking this worker's seed and the seed shared by
all workers (one Sobol sequence for the quasi-random phase)."""

from __future__ import annotations

from collections.abc import Callable

import optuna
from optuna.samplers import BaseSampler

from dldoctor.errors import UsageError
from dldoctor.tuning.phased import PhasedSampler

# (this worker's seed, the shared quasi-random seed) -> sampler
SamplerFactory = Callable[[int | None, int], BaseSampler]


def _tpe(seed: int | None, qmc_seed: int) -> BaseSampler:
    return optuna.samplers.TPESampler(multivariate=True, seed=seed, constant_liar=True)


def _gp(seed: int | None, qmc_seed: int) -> BaseSampler:
    return optuna.samplers.GPSampler(seed=seed)


def _random(seed: int | None, qmc_seed: int) -> BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


def _qmc(seed: int | None, qmc_seed: int) -> BaseSampler:
    return optuna.samplers.QMCSampler(
        qmc_type="sobol", scramble=True, seed=qmc_seed, warn_independent_sampling=False
    )


SAMPLERS: dict[str, SamplerFactory] = {"tpe": _tpe, "qmc": _qmc, "random": _random, "gp": _gp}


def make_sampler(name: str, seed: int | None, explore: int, qmc_seed: int) -> BaseSampler:
    """`seed` seeds this worker's sampler; `qmc_seed` is shared by all workers (one Sobol sequence).
    With `explore` > 0 the first `explore` trials are quasi-random whatever the main sampler."""
    factory = SAMPLERS.get(name)
    if factory is None:
        raise UsageError(f"--sampler: unknown sampler {name!r}; use one of {', '.join(SAMPLERS)}")
    main = factory(seed, qmc_seed)
    return PhasedSampler(_qmc(seed, qmc_seed), main, explore) if explore > 0 and name != "qmc" else main
