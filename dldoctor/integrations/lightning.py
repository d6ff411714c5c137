"""`DoctorCallback`: the monitor inside a Lightning `Trainer`; the fit ends with a report.

    trainer = Trainer(callbacks=[DoctorCallback(report="report.json", train=(x, y),
                                                train_dev=(x_td, y_td), dev=(x_dev, y_dev))])

Needs Lightning: `pip install "dldoctor[lightning]"`.
"""

from __future__ import annotations

from typing import Any

import torch

try:
    import lightning.pytorch as pl
except ImportError as exc:  # the extra is not installed: say how to get it
    raise ImportError('DoctorCallback needs Lightning: pip install "dldoctor[lightning]"') from exc

from dldoctor.integrations._watch import WatchedCallback


class DoctorCallback(WatchedCallback, pl.Callback):
    """Watches the fit with `dd.monitor`, measures the splits after each epoch, diagnoses at the end.

    Lightning runs forward and backward inside `optimizer.step(closure)`, so gradients are read in
    `on_before_optimizer_step` (after Lightning's AMP unscaling), not from the optimiser's pre-step hook.
    """

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epochs = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else None
        self.watch.start(pl_module, trainer.optimizers[0], epochs, pre_step_hook=False)

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self.watch.doc is not None:
            self.watch.doc.gradients_ready()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor):
            self.watch.step(loss)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.watch.epoch()

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.watch.finish()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        self.watch.abort(exception)
