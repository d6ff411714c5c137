"""Measure how the recipe trained, for the set-up readings (dldoctor.diagnosis.regimen).

Most of it is read off the training history (the rate of every optimiser step, the gradient norms
before clipping); two small measurements look at the data's order and at the recipe's loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dldoctor.data import Data, TensorSplit
from dldoctor.diagnosis.evidence import Regimen
from dldoctor.errors import user_code
from dldoctor.inputs import forward
from dldoctor.optim import scale_free
from dldoctor.recipe import Recipe
from dldoctor.training import History, per_example

NEAR_ZERO = 1e-3  # a rate below this share of its peak has stopped training
COLD_START = 0.5  # a first rate below half the peak is a warm-up
SCALING_EXAMPLES = 64  # examples scored alone and inside a batch twice as large


def measure(recipe: Recipe, data: Data, history: History, model: nn.Module) -> Regimen:
    """The Regimen of one finished training run."""
    lrs = np.asarray(history.lrs, dtype=np.float64)
    norms = np.asarray(history.grad_norms, dtype=np.float64)
    peak = float(lrs.max()) if lrs.size else recipe.lr
    clipped, factor = _clipping(norms, recipe.grad_clip)
    return Regimen(
        optimizer_steps=len(lrs),
        lr=recipe.lr,
        lr_peak=peak,
        lr_final=float(lrs[-1]) if lrs.size else recipe.lr,
        decayed_at=_decayed_at(lrs, peak),
        warmup=bool(lrs.size) and float(lrs[0]) < COLD_START * peak,
        diverged_at=(
            None
            if history.nonfinite_update is None or not lrs.size
            else (history.nonfinite_update - 1) / max(len(lrs), 1)
        ),
        grad_clip=recipe.grad_clip,
        clipped_share=clipped,
        clip_factor=factor,
        scale_free=scale_free(recipe.optimizer),
        precision=recipe.precision,
        overflow_steps=int((~np.isfinite(norms)).sum()),
        underflow_steps=int((norms == 0).sum()),
        measured_steps=len(norms),
        effective_batch=recipe.batch_size * recipe.accumulate,
        n_train=len(data.train),
        shuffle=recipe.shuffle,
        label_order=label_order(data.train, recipe.task),
        custom_loss=recipe.loss is not None,
        initial_loss=history.initial_loss,
        initial_task_loss=history.initial_task_loss,
        loss_batch_scaling=_loss_scaling(recipe, data, model) if recipe.loss is not None else None,
    )


def _decayed_at(lrs: np.ndarray, peak: float) -> float | None:
    """Share of the run after which the rate stayed below NEAR_ZERO × peak (None if it never did)."""
    above = np.flatnonzero(lrs >= NEAR_ZERO * peak)
    if not lrs.size or (above.size and above[-1] == len(lrs) - 1):
        return None
    return (int(above[-1]) + 1 if above.size else 0) / len(lrs)


def _clipping(norms: np.ndarray, clip: float | None) -> tuple[float | None, float | None]:
    finite = norms[np.isfinite(norms)]
    if clip is None or not finite.size:
        return None, None
    return float((finite > clip).mean()), float(np.median(np.minimum(1.0, clip / np.maximum(finite, 1e-30))))


def label_order(train: object, task: str) -> float | None:
    """How sorted the training targets are in their stored order: 0 random, 1 sorted.

    Classification: the excess of equal neighbouring labels over what a random order gives (Σ p_k²),
    as a share of the most there could be. Regression: |Spearman correlation| of target with position.
    """
    if not isinstance(train, TensorSplit) or len(train) < 3:
        return None
    y = train.y.detach().cpu()
    if task == "classification":
        same = float((y[1:] == y[:-1]).double().mean())
        p = torch.bincount(y).double() / len(y)
        chance = float(p.square().sum())
        return max(0.0, (same - chance) / (1 - chance)) if chance < 1 else None
    target = y.reshape(len(y), -1).double().mean(dim=1).numpy()
    ranks = np.argsort(np.argsort(target)).astype(np.float64)
    position = np.arange(len(target), dtype=np.float64)
    if ranks.std() == 0:
        return None
    return float(abs(np.corrcoef(position, ranks)[0, 1]))


@torch.no_grad()
def _loss_scaling(recipe: Recipe, data: Data, model: nn.Module) -> float | None:
    """Mean loss of the same examples scored inside a batch twice as large over scored alone."""
    x, y = data.train.sample(2 * SCALING_EXAMPLES, 0)
    half = len(y) // 2
    if half < 1:
        return None
    was_training = model.training
    model.eval()
    try:
        with user_code("the model's forward pass"):
            out = forward(model, x)
        alone = per_example(out[:half], y[:half], recipe.task, recipe.loss)[0].double().mean()
        inside = per_example(out, y, recipe.task, recipe.loss)[0][:half].double().mean()
    finally:
        model.train(was_training)
    return float(inside / alone) if float(alone) > 0 and torch.isfinite(inside) else None
