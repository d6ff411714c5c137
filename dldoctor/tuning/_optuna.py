"""The one place dldoctor reaches past Optuna's public API: trial ids, direct state changes, the
storage heartbeat and epoch reports written several to a transaction. Optuna offers these to its
own optimize() loop only; an Optuna upgrade that moves them breaks this file and nothing else."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages._rdb.storage import _create_scoped_session
from optuna.trial import FrozenTrial, Trial, TrialState
from sqlalchemy.exc import IntegrityError

Report = tuple[Trial, int, float]  # (trial, epoch, dev metric)


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


def note_report(trial: Trial, step: int, value: float) -> None:
    """What trial.report does to the trial in hand, without its write: pruners read a trial's own
    values from there."""
    trial._cached_frozen_trial.intermediate_values[step] = value


def write_reports(study: optuna.Study, reports: list[Report]) -> set[int]:
    """Write the reports in one transaction (Optuna commits each); the numbers of trials that were
    no longer running (another worker failed them), whose reports are dropped."""
    try:
        _write_together(study, reports)
        return set()
    except (UpdateFinishedTrialError, IntegrityError):  # one trial is finished: the others one by one
        finished = set()
        for trial, step, value in reports:
            try:
                study._storage.set_trial_intermediate_value(trial._trial_id, step, value)
            except UpdateFinishedTrialError:
                finished.add(trial.number)
        return finished


def _write_together(study: optuna.Study, reports: list[Report]) -> None:
    storage = study._storage
    backend = getattr(storage, "_backend", storage)  # under Optuna's cache
    if not isinstance(backend, optuna.storages.RDBStorage):
        for trial, step, value in reports:
            storage.set_trial_intermediate_value(trial._trial_id, step, value)
        return
    with _create_scoped_session(backend.scoped_session) as session:
        for trial, step, value in reports:
            backend._set_trial_intermediate_value_without_commit(session, trial._trial_id, step, value)
