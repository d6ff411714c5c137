"""`DoctorCallback`: the monitor inside a Lightning `Trainer`; the fit ends with a report.

    trainer = Trainer(callbacks=[DoctorCallback(report="report.json", train=(x, y),
                                                train_dev=(x_td, y_td), dev=(x_dev, y_dev))])

Needs Lightning: `pip install "dldoctor[lightning]"`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

try:
    import lightning.pytorch as pl
except ImportError as exc:  # the extra is not installed: say how to get it
    raise ImportError('DoctorCallback needs Lightning: pip install "dldoctor[lightning]"') from exc

from dldoctor.diagnosis import Policy
from dldoctor.monitoring import Monitor, Pair, monitor
from dldoctor.outputs import check_file
from dldoctor.report import Report


class DoctorCallback(pl.Callback):
    """Watches the fit with `dd.monitor`, measures the splits after each epoch, diagnoses at the end.

    Lightning runs forward and backward inside `optimizer.step(closure)`, so gradients are read in
    `on_before_optimizer_step` (after Lightning's AMP unscaling), not from the optimiser's pre-step hook.
    """

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
        self.path = None if report is None else Path(report)
        if self.path is not None:
            check_file(self.path, "DoctorCallback(report=...)")
        self.splits: dict[str, Any] = {"train": train, "train_dev": train_dev, "dev": dev, "test": test}
        self.settings: dict[str, Any] = dict(
            task=task,
            seed=seed,
            bayes_error=bayes_error,
            target_error=target_error,
            confidence=confidence,
            min_gap=min_gap,
        )
        self.doc: Monitor | None = None
        self.report: Report | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        optimizer = trainer.optimizers[0]
        name = type(pl_module).__name__
        epochs = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else None
        self.doc = monitor(
            pl_module, optimizer, epochs=epochs, name=name, pre_step_hook=False, **self.settings
        )
        self.doc.__enter__()
        self.doc.epoch(**self.splits)  # before the first step: the loss at initialisation

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self.doc is not None:
            self.doc.gradients_ready()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if self.doc is not None and isinstance(loss, torch.Tensor):
            self.doc.step(loss)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.doc is not None:
            self.doc.epoch(**self.splits)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.doc is None:
            return
        self.doc.__exit__(None, None, None)
        self.report = self.doc.diagnose()
        if self.path is not None:
            self.report.save(self.path)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if self.doc is not None:
            self.doc.__exit__(type(exception), exception, exception.__traceback__)
