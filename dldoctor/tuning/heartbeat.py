"""Heartbeats for running trials: the storage's record that a trial's worker is alive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import optuna


class Heartbeats:
    """The trials a worker holds, each beating its heartbeat while `beating`, so other workers can
    tell them from trials whose worker died."""

    def __init__(self, study: optuna.Study) -> None:
        self.study = study
        self.trials: dict[int, optuna.Trial] = {}
        self.lock = threading.Lock()
        storage = study._storage
        self.interval = (
            storage.get_heartbeat_interval() if hasattr(storage, "get_heartbeat_interval") else None
        )

    def add(self, trial: optuna.Trial) -> None:
        """The first beat now, before anything is written to the trial: a worker killed after this
        leaves a trial that goes stale, not one RUNNING for ever."""
        if self.interval:
            self.study._storage.record_heartbeat(trial._trial_id)
        with self.lock:
            self.trials[trial.number] = trial

    def pop(self, number: int) -> optuna.Trial:
        with self.lock:
            return self.trials.pop(number)

    @contextmanager
    def beating(self) -> Iterator[None]:
        if not self.interval:
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.interval):
                with self.lock:
                    ids = [t._trial_id for t in self.trials.values()]
                for trial_id in ids:
                    self.study._storage.record_heartbeat(trial_id)

        thread = threading.Thread(target=beat, name="dldoctor-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
