"""Checks before training, the cheap ones practitioners run by hand.

A fresh model should (1) start near the loss of an uninformed guess — ln K for K classes, var(y)
for regression; (2) drive the loss on one small batch to almost nothing within a few hundred steps
— if it cannot, while a linear model can, the set-up is broken (learning rate, initialisation, a
bug); (3) do clearly better on that batch with its real inputs than with the inputs zeroed —
otherwise it is not using them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dldoctor import baseline, inputs
from dldoctor import task as tasks
from dldoctor.data import Data, flat_features, standardise
from dldoctor.diagnosis.evidence import SanityChecks
from dldoctor.errors import user_code
from dldoctor.inputs import Inputs
from dldoctor.recipe import Recipe
from dldoctor.training import Stepper, batch_loss, build_model, make_optimizer

BATCH = 16
STEPS = 200
FITTED = 0.05  # the batch counts as memorised once its loss falls to this share of the start
MIN_ZEROED_STEPS = 50


def sanity_checks(
    recipe: Recipe,
    data: Data,
    device: torch.device,
    seed: int,
    initial_loss: float,
    num_classes: int | None,
) -> SanityChecks:
    """Run the one-batch checks on fresh models built from the recipe's factory."""
    x, y = data.train.sample(BATCH, seed + 1)
    expected = tasks.get(recipe.task).uninformed_loss(y, num_classes)
    plain = recipe.replace(weight_decay=0.0)
    with user_code("the one-batch check"):
        start, final, steps = _memorise(build_model(plain, seed, device), plain, x, y, STEPS, stop=True)
        zeroed = _memorise(
            build_model(plain, seed, device),
            plain,
            inputs.apply(x, torch.zeros_like),
            y,
            max(steps, MIN_ZEROED_STEPS),
            stop=False,
        )[1]
    return SanityChecks(
        initial_loss=initial_loss,
        expected_initial_loss=expected,
        batch_size=len(y),
        batch_start_loss=start,
        batch_final_loss=final,
        batch_steps=steps,
        linear_batch_loss=_linear_batch_loss(x, y, recipe, num_classes),
        zeroed_final_loss=zeroed,
    )


def _memorise(
    model: nn.Module, recipe: Recipe, x: Inputs, y: torch.Tensor, steps: int, stop: bool
) -> tuple[float, float, int]:
    """(loss before, loss after, steps taken) training on one batch in eval mode, with the recipe's
    optimiser, loss, precision and clipping (no schedule: a constant rate).

    Eval mode switches dropout off and freezes batch statistics: a pure memorisation test.
    """
    model.eval()
    stepper = Stepper(recipe, model, make_optimizer(recipe, model))
    with torch.no_grad():
        start = float(stepper.loss(model, x, y)[1])
    taken = 0
    for taken in range(1, steps + 1):
        stepper.zero_grad()
        loss = stepper.loss(model, x, y)[1]
        value = float(loss.detach())
        if not math.isfinite(value) or (stop and value <= FITTED * start):
            taken -= 1
            break
        stepper.backward(loss)
        stepper.unscale()
        stepper.update()
    with torch.no_grad():
        final = float(stepper.loss(model, x, y)[1])
    return start, final, taken


def _linear_batch_loss(x: Inputs, y: torch.Tensor, recipe: Recipe, num_classes: int | None) -> float | None:
    """A linear model fitted to the batch (by the task's own loss), scored by the recipe's loss."""
    task = recipe.task
    if not inputs.floating(x):
        return None
    (features,) = standardise(flat_features(x))
    if features.shape[1] == 0:
        return None
    outputs = num_classes if num_classes is not None else y.reshape(len(y), -1).shape[1]
    linear = baseline.fit_linear(features, y, task, outputs)
    with torch.no_grad():
        out = tasks.get(task).as_model_outputs(linear(features), y)
        return float(batch_loss(out, y, task, recipe.loss))
