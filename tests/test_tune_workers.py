"""Workers sharing one study, run over both storages: an SQLite file (one host) and the local
PostgreSQL (trust auth, database `test`; skipped where it is unreachable)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import optuna
import pytest
from conftest import REPO
from optuna.trial import TrialState

URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET_URL = "postgresql://postgres:hunter2-not-shown@127.0.0.1:5432/test"
PARAMS = ("lr", "one_minus_beta", "log2_batch_size")  # the search space of RECIPE below


def _reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    try:
        psycopg.connect(URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at 127.0.0.1:5432 is unreachable: {str(exc).strip()}"
    return None


needs_postgres = pytest.mark.skipif(_reachable() is not None, reason=str(_reachable()))

RECIPE = """
import time

class Slow(nn.Module):
    def __init__(self, delay):
        super().__init__()
        self.net, self.delay = make_model(), delay

    def forward(self, x):
        if self.training:
            time.sleep(self.delay)
        return self.net(x)

recipe = dd.Recipe(name="shared", model=lambda: Slow(DELAY), data=make_data, lr=1e-2, epochs=1,
                   search_space={"batch_size": (64, 128)})
"""


@dataclass(frozen=True)
class Shared:
    """A study the workers share: its storage URL and name."""

    url: str
    name: str

    def trials(self) -> list[optuna.trial.FrozenTrial]:
        return optuna.load_study(study_name=self.name, storage=self.url).trials


@pytest.fixture
def shared(request, tmp_path) -> Iterator[Shared]:
    """`request.param`: "sqlite" or "postgresql"."""
    name = f"dldoctor-test-{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        yield Shared(f"sqlite:///{tmp_path / 'shared.db'}", name)
        return
    if _reachable() is not None:
        pytest.skip(str(_reachable()))
    yield Shared(URL, name)
    with contextlib.suppress(KeyError):
        optuna.delete_study(study_name=name, storage=URL)


def _tune(path, shared: Shared, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dldoctor",
        "tune",
        str(path),
        "--storage",
        shared.url,
        "--study",
        shared.name,
        "--pruner",
        "none",
        *extra,
    ]


# One torch thread per worker: on a busy 2-core machine OpenMP threads spin against each other.
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


@pytest.mark.parametrize(  # --pack 3: each worker packs its share, 2 trials
    "shared, pack", [("postgresql", "1"), ("postgresql", "3"), ("sqlite", "3")], indirect=["shared"]
)
def test_three_workers_reach_exactly_the_requested_count(make_recipe, shared, pack):
    path = make_recipe("DELAY = 0.0\n" + RECIPE)
    done = subprocess.run(
        _tune(path, shared, "--trials", "6", "--workers", "3", "--pack", pack, "-q"),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    trials = shared.trials()
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers))
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 6
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert len({t.user_attrs["worker"] for t in trials if "worker" in t.user_attrs}) > 1, (
        "one worker did everything"
    )


@pytest.mark.parametrize("shared", ["postgresql"], indirect=True)
@pytest.mark.parametrize("pack", ["1", "3"])
def test_a_worker_killed_with_minus_9_has_its_trial_failed_and_retried(make_recipe, shared, pack):
    path = make_recipe("DELAY = 0.3\n" + RECIPE)
    command = _tune(path, shared, "--trials", "3", "--heartbeat", "1", "--grace", "3", "--pack", pack, "-q")
    victim = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed, _ = _wait_for_running_trial(shared, lambda pid: pid == victim.pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    survivor = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=180)
    assert survivor.returncode == 0, survivor.stderr
    trials = shared.trials()
    assert trials[killed].state == TrialState.FAIL
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retried) == 1 and retried[0].state == TrialState.COMPLETE
    assert retried[0].params == trials[killed].params
    assert not [t for t in trials if t.state == TrialState.RUNNING]  # --pack 3: it held all three
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 3


def _wait_for_running_trial(
    shared: Shared, chosen: Callable[[int], bool], timeout: float = 120
) -> tuple[int, int]:
    """A trial that a worker process with a `chosen` pid is training: (trial number, pid)."""
    deadline = time.monotonic() + timeout
    storage = optuna.storages.RDBStorage(shared.url)  # one pool: a storage per poll leaked a connection each
    try:
        return _poll_running_trial(shared.name, chosen, storage, deadline)
    finally:
        storage.engine.dispose()


def _poll_running_trial(
    study_name: str, chosen: Callable[[int], bool], storage: optuna.storages.RDBStorage, deadline: float
) -> tuple[int, int]:
    while time.monotonic() < deadline:
        try:
            trials = optuna.load_study(study_name=study_name, storage=storage).trials
        except KeyError:
            trials = []
        for t in trials:
            pid = int(t.user_attrs.get("worker", ":0").rsplit(":", 1)[1])
            # every parameter suggested: training has begun
            if t.state == TrialState.RUNNING and pid and chosen(pid) and len(t.params) == len(PARAMS):
                return t.number, pid
        time.sleep(0.1)
    raise AssertionError("the worker never started a trial")


@needs_postgres
def test_a_storage_password_is_never_printed(make_recipe, cli):
    path = make_recipe("DELAY = 0.0\n" + RECIPE)
    study_name = f"dldoctor-test-{uuid.uuid4().hex[:12]}"
    ok = cli(
        "tune", path, "--storage", SECRET_URL, "--study", study_name, "--trials", "1", "--pruner", "none"
    )
    assert ok.code == 0, ok.stderr
    assert "postgres:***@127.0.0.1" in ok.stdout and "hunter2" not in ok.stdout + ok.stderr
    refused = cli("tune", path, "--storage", SECRET_URL.replace("5432", "1"), "--trials", "1")
    assert refused.code == 2 and "cannot open storage postgresql://postgres:***@" in refused.stderr
    assert "hunter2" not in refused.stdout + refused.stderr
    optuna.delete_study(study_name=study_name, storage=URL)


@pytest.mark.parametrize(  # auto packs each worker's share, 3 trials (SQLite's workers: the count test)
    "shared, pack", [("postgresql", "1"), ("postgresql", "auto")], indirect=["shared"]
)
def test_a_worker_killed_among_two_leaves_the_study_finished_reported_and_exported(
    make_recipe, shared, tmp_path, pack
):
    path = make_recipe("DELAY = 0.2\n" + RECIPE)
    export, csv = tmp_path / "best.json", tmp_path / "trials.csv"
    command = _tune(path, shared, "--trials", "6", "--workers", "2", "--pack", pack)
    command += ["--export", str(export), "--csv", str(csv)]
    parent = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        killed, victim = _wait_for_running_trial(shared, lambda pid: pid != parent.pid)
        os.kill(victim, signal.SIGKILL)
        stdout, stderr = parent.communicate(timeout=240)
    finally:
        parent.kill()
    assert parent.returncode == 0, stderr
    stderr = " ".join(stderr.split())  # as one line, whatever the console's width
    assert ("packing: up to 3 trials" in stdout) == (pack == "auto"), stdout
    trials = shared.trials()
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 6
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    orphans = [t for t in trials if t.user_attrs.get("worker", "").endswith(f":{victim}")]
    assert trials[killed] in orphans and all(t.state == TrialState.FAIL for t in orphans)
    for orphan in orphans:
        retry = next(t for t in trials if t.system_attrs.get("failed_trial") == orphan.number)
        # a trial killed while its parameters were being suggested is retried with those it had
        assert orphan.params.items() <= retry.params.items() and retry.state == TrialState.COMPLETE
        assert f"its trial {orphan.number} was failed and is retried as trial {retry.number}" in stderr
    assert f"(pid {victim}) died, killed by signal 9; its trial" in stderr, stderr
    assert "Best trial" in stdout, stdout
    assert export.exists() and csv.exists()
