"""The two-phase sampler: quasi-random exploration first, then an adaptive sampler."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.samplers import BaseSampler


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
