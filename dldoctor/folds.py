"""N-fold cross-validation: on a small data set, every training example also serves as train-dev once.

The training distribution (train plus train-dev) is cut into N folds; N models train on N − 1 folds
each. Each split's error is the mean over folds of per-example errors — the held-out fold plays
train-dev, so every example is held out exactly once — with a bootstrap interval over examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dldoctor import inputs
from dldoctor.data import Data, TensorSplit
from dldoctor.errors import UsageError
from dldoctor.held_out import predict
from dldoctor.recipe import Recipe
from dldoctor.stats import Estimate, mean_interval
from dldoctor.training import build_model, evaluate, fit


@dataclass(frozen=True)
class CrossValidation:
    """Errors of `folds` models, averaged per example over the folds where it played each role.

    `held_out`: each example of train then train-dev predicted by the model that held it out
    (class probabilities or outputs), with its `labels` — out-of-sample predictions for train.
    """

    folds: int
    errors: dict[str, Estimate]  # train, train_dev (the held-out fold), dev
    per_fold: tuple[dict[str, float], ...]
    labels: np.ndarray | None = None
    held_out: np.ndarray | None = None


def cross_validate(
    recipe: Recipe, data: Data, device: torch.device, seed: int, folds: int, confidence: float = 0.95
) -> CrossValidation:
    """Train `folds` fresh models, each holding out one fold of the training distribution."""
    pool = _pool(data)
    n = len(pool)
    if n < 2 * folds:
        raise UsageError(f"--folds {folds} needs at least {2 * folds} training examples, got {n}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 15_485_863))
    parts = order.chunk(folds)
    sums = {"train": np.zeros(n), "train_dev": np.zeros(n), "dev": np.zeros(len(data.dev))}
    counts = {"train": np.zeros(n), "train_dev": np.zeros(n)}
    per_fold = []
    held_out: np.ndarray | None = None
    for k, held in enumerate(parts):
        rest = torch.cat([p for i, p in enumerate(parts) if i != k]).sort().values
        train, held_out_split = pool.take(rest, "train"), pool.take(held.sort().values, "train_dev")
        model = build_model(recipe, seed + k, device)
        fit(model, Data(train, held_out_split, data.dev, None, False), recipe, seed=seed + k)
        measured = {
            "train": evaluate(model, train, recipe.task).errors,
            "train_dev": evaluate(model, held_out_split, recipe.task).errors,
            "dev": evaluate(model, data.dev, recipe.task).errors,
        }
        _, outputs = predict(model, held_out_split, recipe.task)
        if held_out is None:
            held_out = np.zeros((n, *outputs.shape[1:]))
        held_out[held.sort().values.numpy()] = outputs
        for name, index in (("train", rest), ("train_dev", held.sort().values)):
            sums[name][index.numpy()] += measured[name]
            counts[name][index.numpy()] += 1
        sums["dev"] += measured["dev"]
        per_fold.append({name: float(e.mean()) for name, e in measured.items()})
    means = {
        "train": sums["train"] / counts["train"],
        "train_dev": sums["train_dev"] / counts["train_dev"],
        "dev": sums["dev"] / folds,
    }
    errors = {name: mean_interval(values, confidence, seed) for name, values in means.items()}
    return CrossValidation(folds, errors, tuple(per_fold), pool.y.cpu().numpy(), held_out)


def _pool(data: Data) -> TensorSplit:
    """Train and train-dev together: the training distribution the folds are cut from."""
    if not (isinstance(data.train, TensorSplit) and isinstance(data.train_dev, TensorSplit)):
        raise UsageError("--folds needs in-memory (X, y) splits for train and train-dev, not a Dataset")
    return TensorSplit(
        "train", inputs.cat([data.train.x, data.train_dev.x]), torch.cat([data.train.y, data.train_dev.y])
    )
