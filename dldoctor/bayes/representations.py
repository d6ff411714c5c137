"""Features to run neighbour estimators on, each honest about which examples it has seen.

- inputs: standardised raw inputs of train and train-dev (no model involved);
- linear: a logistic / least-squares model's outputs, fitted on train, read on train-dev;
- embedding: the trained model's penultimate layer (the input of its last Linear) on train-dev;
- outputs: the trained model's outputs on train-dev.
Model features are read only on train-dev: on training points a model that memorised its labels
would make every neighbour agree and the estimate collapse towards zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from dldoctor.baseline import MAX_FEATURES, fit_linear
from dldoctor.data import Data, flat_features, standardise
from dldoctor.errors import user_code

MAX_POINTS = 10_000
EVAL_BATCH = 1024


@dataclass(frozen=True)
class Representation:
    name: str
    features: torch.Tensor  # (n, d) float32
    y: torch.Tensor


def inputs(data: Data, seed: int) -> Representation | str:
    """Standardised flattened inputs of train and train-dev together, or why there are none."""
    x_train, y_train = data.train.sample(MAX_POINTS, seed)
    x_held, y_held = data.train_dev.sample(max(0, MAX_POINTS - len(x_train)), seed)
    x = torch.cat([x_train, x_held])
    if not x.is_floating_point():
        return "inputs are integers (token ids), not points with distances"
    (features,) = standardise(flat_features(x))
    if features.shape[1] == 0:
        return "every input feature is constant"
    return Representation("inputs", features, torch.cat([y_train, y_held]))


def linear(
    data: Data,
    task: str,
    outputs: int,
    seed: int,
    fitted: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Representation | str:
    """A linear model's outputs on train-dev: a low-dimensional projection fitted on other points.

    `fitted` is such a model already fitted on the training set (the convex easier model's), reused.
    """
    x_train, y_train = data.train.sample(MAX_POINTS, seed)
    x_held, y_held = data.train_dev.sample(MAX_POINTS, seed)
    if fitted is not None:
        return Representation("linear", _centred(fitted(x_held), task), y_held)
    if not x_train.is_floating_point():
        return "inputs are integers (token ids)"
    if flat_features(x_train[:1]).shape[1] > MAX_FEATURES:
        return f"more than {MAX_FEATURES} input features: too costly to fit, and the model's views cover them"
    train, held = standardise(flat_features(x_train), flat_features(x_held))
    if train.shape[1] == 0:
        return "every input feature is constant"
    model = fit_linear(train, y_train, task, outputs)
    with torch.no_grad():
        return Representation("linear", _centred(model(held), task), y_held)


def model_views(model: nn.Module, data: Data, task: str, seed: int) -> list[Representation]:
    """The trained model's penultimate embedding and outputs on train-dev (no embedding without a Linear)."""
    x, y = data.train_dev.sample(MAX_POINTS, seed)
    embedding, out = forward_features(model, x)
    return output_views(out, embedding, y, task)


def output_views(
    out: torch.Tensor, embedding: torch.Tensor | None, y: torch.Tensor, task: str
) -> list[Representation]:
    """Outputs (shift-free) and the standardised embedding of the same held-out examples, however obtained."""
    views = [Representation("outputs", _centred(out, task), y)]
    if embedding is not None:
        (standard,) = standardise(embedding)
        if standard.shape[1]:
            views.insert(0, Representation("embedding", standard, y))
    return views


def forward_features(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
    """(input of the model's last Linear layer, or None without one; outputs), flattened, in eval mode.

    The embedding comes from a forward pre-hook, so any architecture whose head is a Linear works.
    """
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    seen: list[torch.Tensor] = []
    hook = last[-1].register_forward_pre_hook(lambda _, args: seen.append(args[0].detach())) if last else None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), user_code("the model's forward pass (reading its embedding)"):
            out = torch.cat([model(x[i : i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])
    finally:
        model.train(was_training)
        if hook is not None:
            hook.remove()
    one_per_example = seen and sum(t.shape[0] for t in seen) == len(x)  # not a per-timestep head
    embedding = flat_features(torch.cat(seen)) if one_per_example else None
    return embedding, flat_features(out)


def _centred(out: torch.Tensor, task: str) -> torch.Tensor:
    """Logits are defined up to a shift per example; remove it so distances mean something."""
    out = out.float()
    return out - out.mean(dim=1, keepdim=True) if task == "classification" else out
