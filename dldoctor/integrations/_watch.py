"""What every framework callback does with `dd.monitor`: start it on the fit's model and optimizer,
measure the splits before the first step and after each epoch, record each step's loss, and
diagnose when the fit ends — one implementation behind the Lightning and Hugging Face callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from dldoctor.diagnosis import Policy
from dldoctor.monitoring import Monitor, Pair, monitor
from dldoctor.outputs import check_file
from dldoctor.report import Report

Outputs = Callable[[Pair], Pair]  # (inputs, y) → (outputs, y), for models whose call is not model(x)


@dataclass
class Watch:
    """A callback's state: where the report goes, the splits, the monitor's settings, the monitor."""

    path: Path | None
    splits: dict[str, Pair | None]
    settings: dict[str, Any]
    outputs: Outputs | None = None
    doc: Monitor | None = None
    report: Report | None = None

    def start(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        epochs: int | None,
        *,
        pre_step_hook: bool = True,
    ) -> None:
        """Enter the monitor and measure the splits once: the loss at initialisation."""
        name = type(model).__name__
        self.doc = monitor(
            model, optimizer, epochs=epochs, name=name, pre_step_hook=pre_step_hook, **self.settings
        )
        self.doc.__enter__()
        self.epoch()

    def epoch(self) -> None:
        if self.doc is None:
            return
        if self.outputs is None:
            self.doc.epoch(**self.splits)  # type: ignore[arg-type]
            return
        measured = {k: None if v is None else self.outputs(v) for k, v in self.splits.items()}
        self.doc.epoch(**measured, outputs=True)  # type: ignore[arg-type]

    def step(self, loss: torch.Tensor) -> None:
        if self.doc is not None:
            self.doc.step(loss)

    def finish(self) -> None:
        """Leave the monitor, diagnose, write the report."""
        if self.doc is None:
            return
        self.doc.__exit__(None, None, None)
        self.report = self.doc.diagnose()
        if self.path is not None:
            self.report.save(self.path)

    def abort(self, exception: BaseException) -> None:
        if self.doc is not None:
            self.doc.__exit__(type(exception), exception, exception.__traceback__)


class WatchedCallback:
    """The constructor and `report` every framework's DoctorCallback shares (mixed in before the
    framework's own callback base class)."""

    def __init__(
        self,
        report: str | Path | None = "report.json",
        *,
        train: Pair,
        train_dev: Pair,
        dev: Pair,
        test: Pair | None = None,
        task: str = "classification",
        seed: int = 0,
        bayes_error: float | None = None,
        target_error: float | None = None,
        confidence: float = 0.95,
        min_gap: float = Policy.min_gap,
    ) -> None:
        path = None if report is None else Path(report)
        if path is not None:  # checked before training starts: a path that cannot be written fails now
            check_file(path, "DoctorCallback(report=...)")
        splits = {"train": train, "train_dev": train_dev, "dev": dev, "test": test}
        settings = dict(
            task=task,
            seed=seed,
            bayes_error=bayes_error,
            target_error=target_error,
            confidence=confidence,
            min_gap=min_gap,
        )
        self.watch = Watch(path, splits, settings)

    @property
    def report(self) -> Report | None:
        """The report, once training has ended."""
        return self.watch.report
