"""A resumed study continues its search: asking for more trials, or rerunning after Ctrl-C or after
kill -9, never replays the parameter sets it already tried (random and TPE samplers). A worker with
nothing left to start says which trials it waits for."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time

import optuna
import pytest
from conftest import REPO
from optuna.trial import TrialState

from dldoctor.recipe import load_recipe
from dldoctor.tuning import _optuna
from dldoctor.tuning.reports import Reports
from dldoctor.tuning.storage import open_storage
from dldoctor.tuning.study import Listener, TuneOptions, _ask, _open_study, _pack, _prepare, _work, tune

WIDE = """
def make_wide_model(hidden=16):
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 3))

recipe = dd.Recipe(name="resumed", model=make_wide_model, data=make_data, lr=1e-2, batch_size=64,
                   epochs=1, search_space={"hidden": (4, 32, "log")})
"""


def options(tmp_path, sampler: str, trials: int, **extra) -> TuneOptions:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    return TuneOptions(trials=trials, storage=url, sampler=sampler, pruner="none", **extra)


def finished_params(opts: TuneOptions) -> list[tuple]:
    study = optuna.load_study(study_name="resumed", storage=opts.storage)
    done = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    return [tuple(sorted(t.params.items())) for t in done]


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_asking_for_more_trials_continues_the_search(make_recipe, tmp_path, sampler):
    path = make_recipe(WIDE)
    first = options(tmp_path, sampler, 3)
    tune(path, first)
    tune(path, dataclasses.replace(first, trials=6))
    params = finished_params(first)
    assert len(params) == 6 and len(set(params)) == 6, params


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_study_resumed_after_ctrl_c_tries_new_parameters(make_recipe, tmp_path, sampler):
    path = make_recipe(WIDE)
    opts = options(tmp_path, sampler, 6)
    seen = []

    def interrupt_after_two(report) -> None:
        seen.append(report)
        if len(seen) == 2:
            raise KeyboardInterrupt

    assert tune(path, opts, listener=Listener(finished=interrupt_after_two)).interrupted
    tune(path, opts)
    params = finished_params(opts)
    assert len(params) == 6 and len(set(params)) == 6, params


def test_a_study_resumed_after_kill_9_tries_new_parameters(make_recipe, tmp_path):
    path = make_recipe(WIDE)
    opts = options(tmp_path, "tpe", 6, heartbeat=1, grace=2)
    command = [sys.executable, "-m", "dldoctor", "tune", str(path), "--storage", opts.storage, "-q",
               "--trials", "6", "--pruner", "none", "--heartbeat", "1", "--grace", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_complete_trials(tmp_path / "study.db", 2)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    tune(path, opts)
    params = finished_params(opts)
    assert len(params) == 6 and len(set(params)) == 6, params


def _wait_for_complete_trials(db, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as connection:
                    (done,) = connection.execute(
                        "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'"
                    ).fetchone()
            except sqlite3.OperationalError:
                done = 0
            if done >= count:
                return
        time.sleep(0.1)
    raise AssertionError(f"the study never reached {count} complete trials")


def test_an_idle_worker_says_which_trial_it_waits_for_and_what_the_grace_is(make_recipe, tmp_path):
    opts = options(tmp_path, "random", 1, heartbeat=1, grace=2)
    worker = _prepare(load_recipe(make_recipe(WIDE)), opts)
    study = _open_study(open_storage(opts.storage, opts.storage_settings), worker, opts)
    other = _ask(study)  # another worker's trial, still running: the budget of one is taken
    other.set_user_attr("worker", "elsewhere:123")
    notes: list[str] = []
    _work(study, worker, lambda trial: None, notes.append)
    assert len(notes) == 1, notes
    assert "waiting for trial 0 (elsewhere:123)" in notes[0] and "after 2 s without a heartbeat" in notes[0]


def test_a_trial_whose_worker_died_before_its_first_beat_does_not_hold_the_budget(make_recipe, tmp_path):
    """kill -9 between Optuna creating a trial and its first heartbeat leaves it RUNNING and unclaimed;
    a rerun fails it after the grace instead of ending one trial short."""
    path = make_recipe(WIDE)
    opts = options(tmp_path, "random", 2, heartbeat=1, grace=2)
    worker = _prepare(load_recipe(path), opts)
    _ask(_open_study(open_storage(opts.storage, opts.storage_settings), worker, opts))  # then "killed"
    assert tune(path, opts).counts.finished == 2
    study = optuna.load_study(study_name="resumed", storage=opts.storage)
    assert study.trials[0].state == TrialState.FAIL and len(finished_params(opts)) == 2


@pytest.mark.parametrize("pack", [1, 2])
def test_a_worker_whose_trial_another_failed_drops_that_result_with_a_line_and_goes_on(
    make_recipe, tmp_path, monkeypatch, pack
):
    """Its heartbeat lapsed (a stalled machine), another worker failed and retried its trial 0; the
    late report and tell must not crash the worker."""
    opts = options(tmp_path, "random", 2, pack=pack)
    worker = _prepare(load_recipe(make_recipe(WIDE)), opts)
    _pack(worker)
    study = _open_study(open_storage(opts.storage, opts.storage_settings), worker, opts)
    original = Reports.add

    def failed_meanwhile(self, trial, epoch, value):
        if trial.number == 0:
            _optuna.set_state(study, trial, TrialState.FAIL)  # as another worker's stale check does
        return original(self, trial, epoch, value)

    monkeypatch.setattr(Reports, "add", failed_meanwhile)
    notes: list[str] = []
    told: list[int] = []
    _work(study, worker, lambda trial: told.append(trial.number), notes.append)
    assert worker.runner.capacity == pack
    assert len(notes) == 1 and "trial 0 was failed by another worker" in notes[0], notes
    states = [t.state for t in optuna.load_study(study_name="resumed", storage=opts.storage).trials]
    assert states[0] == TrialState.FAIL and states[1:].count(TrialState.COMPLETE) == 2, states
    assert 0 not in told and len(told) == 2
