"""The one place dldoctor reaches past Optuna's public API: trial ids, direct state changes and the
storage heartbeat. Optuna offers these to its own optimize() loop only; an Optuna upgrade that moves
them breaks this file and nothing else."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import optuna
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import FrozenTrial, Trial, TrialState


def new_trial(study: optuna.Study) -> Trial:
    """study.ask() without its look for a WAITING trial to take, for a caller that has just read the
    study and seen none: the look reloads every unfinished trial, so a worker holding K trials paid
    K reloads per ask."""
    study._thread_local.cached_all_trials = None
    return Trial(study, study._storage.create_new_trial(study._study_id))


def set_state(study: optuna.Study, trial: Trial | FrozenTrial, state: TrialState) -> None:
    """Move a trial to `state` without a tell: WAITING hands it back, FAIL ends a dead worker's."""
    study._storage.set_trial_state_values(trial._trial_id, state)


def frozen(study: optuna.Study, trial: Trial | FrozenTrial) -> FrozenTrial:
    """The trial as the storage holds it now."""
    return study._storage.get_trial(trial._trial_id)


def heartbeat_interval(study: optuna.Study) -> int | None:
    """Seconds between heartbeats the storage expects; None when it keeps none."""
    storage = study._storage
    return storage.get_heartbeat_interval() if isinstance(storage, BaseHeartbeat) else None


def record_heartbeats(study: optuna.Study, trials: Iterable[Trial]) -> None:
    """Tell the storage these trials' worker is alive."""
    storage = study._storage
    if isinstance(storage, BaseHeartbeat):
        for trial in trials:
            storage.record_heartbeat(trial._trial_id)


def fail_stale_trials(study: optuna.Study) -> None:
    """Optuna's (experimental) failing of trials whose heartbeat stopped; it queues their retries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
