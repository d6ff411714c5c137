"""DoctorCallback in a real Lightning fit on CPU: the fit ends with a report like diagnose's."""

from __future__ import annotations

import json

import jsonschema
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dldoctor.data import TensorSplit
from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import MemoryColumn, Predictions, SplitColumns
from dldoctor.report.stored import schema
from dldoctor.training import evaluate

pl = pytest.importorskip("lightning.pytorch")
from test_monitor import blobs  # noqa: E402

from dldoctor.integrations.lightning import DoctorCallback  # noqa: E402


class Classifier(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def test_a_lightning_fit_ends_with_a_schema_valid_report_of_the_trained_module(tmp_path):
    torch.manual_seed(0)
    splits = {"train": blobs(3000, 0), "train_dev": blobs(1500, 1), "dev": blobs(1500, 2)}
    train, dev = splits["train"], splits["dev"]
    callback = DoctorCallback(report=tmp_path / "report.json", **splits)
    module = Classifier()
    trainer = pl.Trainer(
        max_epochs=3,
        accelerator="cpu",
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, DataLoader(TensorDataset(*train), batch_size=128, shuffle=True))
    document = json.loads((tmp_path / "report.json").read_text())
    jsonschema.validate(document, schema())
    assert document["source"] == "monitor" and len(document["history"]) == 3
    assert document["gradients"]["samples"] >= 3 and document["sanity"] is not None
    dev_error = evaluate(module, TensorSplit("dev", *dev), "classification").error
    assert document["errors"]["dev"] == pytest.approx(dev_error)
    module.eval()
    with torch.no_grad():
        outputs = {name: (module(x), y) for name, (x, y) in splits.items()}
    columns = {n: SplitColumns(y.numpy(), MemoryColumn(n, out.numpy())) for n, (out, y) in outputs.items()}
    from_outputs = diagnose_predictions(Predictions("same", "classification", columns))
    assert document["verdict"] == from_outputs.verdict, (document["reason"], from_outputs.diagnosis.reason)
    optimizer = trainer.optimizers[0]
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
