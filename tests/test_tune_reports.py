"""Epoch reports written behind: one transaction per flush, pruners still see every value, a trial
another worker failed is told to stop at the next write."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy import event

from dldoctor.tuning import _optuna
from dldoctor.tuning.reports import Reports
from dldoctor.tuning.storage import StorageSettings, open_storage

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage")


def sqlite_study(tmp_path, pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}", StorageSettings())
    return optuna.create_study(storage=storage, pruner=pruner or optuna.pruners.NopPruner())


def stored_values(study: optuna.Study) -> dict[int, dict[int, float]]:
    return {t.number: t.intermediate_values for t in study.get_trials(deepcopy=False)}


def test_reports_wait_in_memory_and_are_written_in_one_transaction(tmp_path):
    study = sqlite_study(tmp_path)
    trials = [study.ask(), study.ask()]
    reports = Reports(study, every=3600)
    for epoch in range(5):
        for trial in trials:
            assert reports.add(trial, epoch, 0.5 - epoch / 10) is False
    assert stored_values(study) == {0: {}, 1: {}}
    commits: list[int] = []
    backend = study._storage._backend
    event.listen(backend.engine, "commit", lambda connection: commits.append(1))
    reports.flush()
    assert len(commits) == 1
    expected = {epoch: 0.5 - epoch / 10 for epoch in range(5)}
    assert stored_values(study) == {0: expected, 1: expected}


def test_the_pruner_sees_reports_not_yet_written(tmp_path):
    study = sqlite_study(tmp_path, optuna.pruners.ThresholdPruner(upper=0.5))
    trial = study.ask()
    reports = Reports(study, every=3600)
    assert reports.add(trial, 0, 0.4) is False
    assert reports.add(trial, 1, 0.9) is True
    assert stored_values(study) == {0: {}}


def test_a_trial_another_worker_failed_stops_at_the_next_write_and_the_others_are_kept(tmp_path):
    study = sqlite_study(tmp_path)
    lost, kept = study.ask(), study.ask()
    reports = Reports(study, every=0)  # writes at every report
    _optuna.set_state(study, lost, TrialState.FAIL)  # as a worker that saw its heartbeat lapse does
    assert reports.add(kept, 0, 0.3) is False
    assert reports.add(lost, 0, 0.3) is True
    assert reports.add(kept, 1, 0.2) is False
    assert stored_values(study) == {0: {}, 1: {0: 0.3, 1: 0.2}}


def test_reports_reach_an_in_memory_study_too():
    study = optuna.create_study()
    trial = study.ask()
    reports = Reports(study, every=3600)
    reports.add(trial, 0, 0.25)
    reports.flush()
    assert study.trials[0].intermediate_values == {0: 0.25}
