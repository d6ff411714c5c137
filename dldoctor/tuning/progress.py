"""What the live view shows: each finished trial with the study's running counts and best value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from dldoctor.search_space import SearchSpace
from dldoctor.tuning.status import TrialStatus


@dataclass(frozen=True)
class Counts:
    complete: int = 0
    pruned: int = 0
    diverged: int = 0
    failed: int = 0

    @property
    def finished(self) -> int:
        """Trials that count toward --trials: complete, pruned and diverged (failed ones are redone)."""
        return self.complete + self.pruned + self.diverged


@dataclass(frozen=True)
class TrialReport:
    """One finished trial: its settings (recipe and model), how it ended, and the study so far."""

    number: int
    status: TrialStatus
    value: float | None
    settings: dict[str, Any]
    message: str
    best: float | None
    counts: Counts


_BY_STATE = {
    TrialState.COMPLETE: TrialStatus.COMPLETE,
    TrialState.PRUNED: TrialStatus.PRUNED,
    TrialState.FAIL: TrialStatus.FAILED,
    TrialState.RUNNING: TrialStatus.RUNNING,
    TrialState.WAITING: TrialStatus.WAITING,
}


def status(trial: FrozenTrial) -> TrialStatus:
    """Optuna's state, with a diverged trial (recorded as pruned) told apart."""
    if trial.state == TrialState.PRUNED and trial.user_attrs.get("diverged"):
        return TrialStatus.DIVERGED
    return _BY_STATE[trial.state]


def settings(trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
    recipe, model = space.decode(trial.params)
    return {**recipe, **model}


class Progress:
    """Accumulates finished trials (each once) into running counts and the best value."""

    def __init__(self, space: SearchSpace, trials: Iterable[FrozenTrial] = ()) -> None:
        self.space = space
        self.seen: set[int] = set()
        self.counts = Counts()
        self.best: float | None = None
        for trial in trials:
            self.add(trial)

    def add(self, trial: FrozenTrial) -> TrialReport | None:
        """The trial's report, or None when it is unfinished or was already counted."""
        if not trial.state.is_finished() or trial.number in self.seen:
            return None
        self.seen.add(trial.number)
        kind = status(trial)
        self.counts = Counts(**{**self.counts.__dict__, kind.value: getattr(self.counts, kind.value) + 1})
        value = trial.value if kind == TrialStatus.COMPLETE else None
        if value is not None and (self.best is None or value < self.best):
            self.best = value
        message = str(trial.user_attrs.get("note", ""))
        return TrialReport(
            trial.number, kind, value, settings(trial, self.space), message, self.best, self.counts
        )
