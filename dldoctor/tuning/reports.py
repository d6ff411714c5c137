"""Epoch reports written behind: a worker holds each trial's per-epoch dev metric in memory and
writes what it holds in one transaction before a trial is told, and at least every FLUSH_S seconds,
instead of committing every epoch of every trial on its own (Optuna's trial.report: a dozen commits
a trial, a tenth of a short study's time on SQLite). Pruning decisions do not change: a pruner reads
the trial's own values from the trial in hand, and other trials' only once they are finished (told,
so written). A worker killed with reports unwritten loses only curves of trials that are failed and
retried anyway.
"""

from __future__ import annotations

import time

import optuna

from dldoctor.tuning import _optuna

FLUSH_S = 2.0  # the longest a report waits: live views of the study stay this fresh


class Reports:
    """One worker's unwritten epoch reports (see the module docstring)."""

    def __init__(self, study: optuna.Study, every: float = FLUSH_S) -> None:
        self.study = study
        self.every = every
        self.pending: list[_optuna.Report] = []
        self.written = time.monotonic()
        self.gone: set[int] = set()  # trials another worker failed: their reports are dropped
        self.asks_pruner = not isinstance(study.pruner, optuna.pruners.NopPruner)

    def add(self, trial: optuna.Trial, epoch: int, value: float) -> bool:
        """Record the epoch's dev metric; whether the trial stops now: the pruner says so (not asked
        when there is none: the question costs a storage read), or another worker failed the trial."""
        _optuna.note_report(trial, epoch, value)
        self.pending.append((trial, epoch, value))
        if time.monotonic() - self.written >= self.every:
            self.flush()
        return trial.number in self.gone or (self.asks_pruner and trial.should_prune())

    def flush(self) -> None:
        """Write what is held, noting the trials another worker had failed meanwhile."""
        pending, self.pending = self.pending, []
        self.written = time.monotonic()
        if pending:
            self.gone |= _optuna.write_reports(self.study, pending)
