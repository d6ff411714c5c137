"""Out-of-sample predictions of a trained model, as error analysis reads them (torch side).

Train-dev and dev were never trained on, so their predictions come free; train's come only from
cross-validation (--folds), where each example is predicted by the model that held it out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from dldoctor import task as tasks
from dldoctor.data import Data, Split
from dldoctor.error_analysis import ErrorAnalysis, SplitPredictions, analyse
from dldoctor.errors import user_code
from dldoctor.inputs import forward
from dldoctor.training import EVAL_BATCH

if TYPE_CHECKING:
    from dldoctor.folds import CrossValidation

GRID = 16  # suspicious examples kept for the picture grid


@torch.no_grad()
def predict(model: nn.Module, split: Split, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels, outputs) of a split in eval mode: class or label probabilities, or the regression outputs."""
    kind = tasks.get(task)
    was_training = model.training
    model.eval()
    labels, outputs = [], []
    with user_code(f"evaluating the model on '{split.name}'"):
        for x, y in split.batches(EVAL_BATCH):
            outputs.append(kind.probabilities(forward(model, x).float(), y))
            labels.append(y)
    model.train(was_training)
    return torch.cat(labels).cpu().numpy(), torch.cat(outputs).double().cpu().numpy()


def out_of_sample(
    model: nn.Module, data: Data, task: str, cross_validation: CrossValidation | None = None
) -> dict[str, SplitPredictions]:
    """Train (with --folds), train-dev and dev predictions, each example named as the user knows it."""
    found = {}
    if cross_validation is not None and cross_validation.labels is not None:
        assert cross_validation.held_out is not None  # cross_validate fills both or neither
        n = len(data.train)
        found["train"] = SplitPredictions(
            cross_validation.labels[:n],
            cross_validation.held_out[:n],
            _train_rows(data),
            data.metadata.get("train", {}),
        )
    for name in ("train_dev", "dev"):
        labels, outputs = predict(model, getattr(data, name), task)
        index = data.train_dev_index if name == "train_dev" else None
        found[name] = SplitPredictions(labels, outputs, index, data.metadata.get(name, {}))
    return found


def error_analysis(
    model: nn.Module,
    data: Data,
    task: str,
    confidence: float,
    seed: int,
    cross_validation: CrossValidation | None = None,
) -> ErrorAnalysis:
    """Analyse the trained model's errors; keep the inputs of dev's most suspicious examples."""
    analysis = analyse(out_of_sample(model, data, task, cross_validation), task, confidence, seed)
    noise = analysis.label_noise.get("dev")
    if noise is None or not noise.suspects:
        return analysis
    chosen = torch.tensor([s.index for s in noise.suspects[:GRID]])
    x, _ = data.dev.take(chosen, "dev").sample(GRID, seed)
    if not isinstance(x, torch.Tensor):  # several inputs per example: no one picture of each
        return analysis
    return replace(analysis, suspect_inputs=x.float().cpu().numpy())


def _train_rows(data: Data) -> np.ndarray | None:
    """Where the (possibly carved) train examples sit in the user's train split."""
    if data.train_dev_index is None:
        return None
    total = len(data.train) + len(data.train_dev)
    return np.setdiff1d(np.arange(total), data.train_dev_index)
