"""DoctorCallback in a real transformers.Trainer fit on CPU: training ends with a report like the
one saved predictions of the same model give."""

from __future__ import annotations

import json

import jsonschema
import pytest
import torch
from torch import nn

from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import MemoryColumn, Predictions, SplitColumns
from dldoctor.report.stored import schema

transformers = pytest.importorskip("transformers")
from test_monitor import blobs  # noqa: E402

from dldoctor.integrations.huggingface import DoctorCallback  # noqa: E402


class Classifier(nn.Module):
    """A model as the Trainer calls it: keyword inputs and labels in, a dict with loss and logits out."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        logits = self.net(x)
        found = {"logits": logits}
        if labels is not None:
            found["loss"] = nn.functional.cross_entropy(logits, labels)
        return found


class Rows(torch.utils.data.Dataset):
    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


def test_a_trainer_fit_ends_with_a_schema_valid_report_matching_its_saved_predictions(tmp_path):
    torch.manual_seed(0)
    splits = {"train": blobs(3000, 0), "train_dev": blobs(1500, 1), "dev": blobs(1500, 2)}
    callback = DoctorCallback(report=tmp_path / "report.json", **splits)
    model = Classifier()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=3,
        per_device_train_batch_size=128,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    trainer = transformers.Trainer(model, args, train_dataset=Rows(*splits["train"]), callbacks=[callback])
    trainer.train()
    document = json.loads((tmp_path / "report.json").read_text())
    jsonschema.validate(document, schema())
    assert document["source"] == "monitor" and len(document["history"]) == 3
    assert document["gradients"]["samples"] >= 3
    assert callback.watch.doc is not None  # every optimizer step's loss was read from the model
    assert len(callback.watch.doc.history.step_losses) == trainer.state.global_step
    assert document["history"][-1]["train_loss"] < document["history"][0]["train_loss"]
    model.eval()
    with torch.no_grad():
        outputs = {name: (model(x)["logits"], y) for name, (x, y) in splits.items()}
    columns = {n: SplitColumns(y.numpy(), MemoryColumn(n, out.numpy())) for n, (out, y) in outputs.items()}
    from_outputs = diagnose_predictions(Predictions("same", "classification", columns))
    assert document["errors"]["dev"] == pytest.approx(from_outputs.errors["dev"].value)
    assert document["verdict"] == from_outputs.verdict, (document["reason"], from_outputs.diagnosis.reason)
