"""Heartbeats for running trials: the storage's record that a trial's worker is alive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import optuna

from dldoctor.tuning import _optuna


class Heartbeats:
    """The trials a worker holds, each beating its heartbeat while `beating`, so other workers can
    tell them from trials whose worker died."""

    def __init__(self, study: optuna.Study) -> None:
        self.study = study
        self.trials: dict[int, optuna.Trial] = {}
        self.lock = threading.Lock()
        self.interval = _optuna.heartbeat_interval(study)

    def add(self, trial: optuna.Trial) -> None:
        """The first beat now, before anything is written to the trial: a worker killed after this
        leaves a trial that goes stale, not one RUNNING for ever."""
        if self.interval:
            _optuna.record_heartbeats(self.study, [trial])
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
        interval = self.interval

        def beat() -> None:
            while not stop.wait(interval):
                with self.lock:
                    held = list(self.trials.values())
                _optuna.record_heartbeats(self.study, held)

        thread = threading.Thread(target=beat, name="dldoctor-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
