"""The learning-rate range test: train briefly while the learning rate grows exponentially.

The smoothed loss falls slowly at tiny rates, fastest somewhere in the middle, bottoms out, then
blows up. We stop once it exceeds 4× its best. Two readings: the *steepest* point (the loss falls
fastest per decade) and the *valley* — one decade below the minimum, the classic safe choice. We
suggest the smaller of the two: the minimum sits at the edge of instability, and the steepest
point of a sweep this short is often already close to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch

from dldoctor.data import Batch, Data, Split
from dldoctor.diagnosis.evidence import RangeTest
from dldoctor.errors import DataError, user_code
from dldoctor.optim import field_label
from dldoctor.recipe import Recipe
from dldoctor.training import Stepper, build_model, check_precision, make_optimizer

START, END, STEPS = 1e-7, 10.0, 100
STOP_FACTOR = 4.0
SMOOTHING = 0.9
MIN_DROP = 0.1  # the smoothed loss must fall by this share of where it started for a suggestion


def lr_range_test(
    recipe: Recipe,
    data: Data,
    device: torch.device,
    seed: int = 0,
    *,
    start: float = START,
    end: float = END,
    steps: int = STEPS,
) -> RangeTest:
    """Sweep the learning rate from `start` to `end` over `steps` steps on a fresh model, with the
    recipe's own optimiser, loss, precision and clipping (its schedule is what the sweep replaces)."""
    model = build_model(recipe, seed, device)
    model.train()
    check_precision(recipe.precision, device)
    optimizer = make_optimizer(recipe, model)
    stepper = Stepper(recipe, model, optimizer)
    batches = _endless(data.train, recipe.batch_size, torch.Generator().manual_seed(seed), recipe.shuffle)
    lrs, losses, average, best = [], [], 0.0, math.inf
    with user_code("the learning-rate range test"):
        for i, lr in enumerate(np.geomspace(start, end, steps)):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            x, y = next(batches)
            _, loss = stepper.loss(model, x, y)
            stepper.zero_grad()
            stepper.backward(loss)
            stepper.unscale()
            stepper.update()
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            average = SMOOTHING * average + (1 - SMOOTHING) * value
            smoothed = average / (1 - SMOOTHING ** (i + 1))
            lrs.append(float(lr))
            losses.append(smoothed)
            best = min(best, smoothed)
            if i > steps // 10 and smoothed > STOP_FACTOR * best:
                break
    if len(lrs) < 3:
        raise DataError(f"the range test diverged within {len(lrs)} steps of lr={start:g}; lower --start")
    return suggest(np.array(lrs), np.array(losses), field_label(recipe.optimizer))


def suggest(lrs: np.ndarray, losses: np.ndarray, optimizer: str) -> RangeTest:
    """Read the steepest point and the valley off a smoothed range-test curve.

    No suggestion when the loss never fell materially: no learning rate trained the model, so the
    curve's shape says nothing about which one would (vanishing gradients, a broken model).
    """
    lowest = int(np.argmin(losses))
    skip = min(len(lrs) // 10, lowest)
    slopes = np.gradient(losses, np.log10(lrs))
    steepest = skip + int(np.argmin(slopes[skip : lowest + 1]))
    valley = lrs[lowest] / 10
    learned = losses[lowest] <= (1 - MIN_DROP) * losses[0]
    return RangeTest(
        lrs=tuple(lrs.tolist()),
        losses=tuple(losses.tolist()),
        suggested_lr=float(min(lrs[steepest], valley)) if learned else None,
        steepest_lr=float(lrs[steepest]),
        min_loss_lr=float(lrs[lowest]),
        optimizer=optimizer,
    )


def _endless(split: Split, batch_size: int, generator: torch.Generator, shuffle: bool) -> Iterator[Batch]:
    while True:
        yield from split.batches(batch_size, generator, shuffle)
