"""The easier-model test: fit a convex linear model on the same training inputs.

A linear (or logistic) model on flattened inputs is trivially easy to optimise. If it reaches a lower
*training* loss than the user's network, the network's high training error is an optimisation
failure, not a lack of capacity — more layers would not help; a better optimiser set-up would.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dldoctor.data import Data, TensorSplit, flat_features, standardise
from dldoctor.diagnosis.evidence import EasierModelResult
from dldoctor.stats import paired_difference
from dldoctor.training import evaluate, per_example

MAX_EXAMPLES = 20_000
MAX_FEATURES = 10_000
L2 = 1e-4


@dataclass(frozen=True)
class Skipped:
    """Why the easier-model test did not run."""

    reason: str


def easier_model_test(
    model: nn.Module,
    data: Data,
    task: str,
    num_classes: int | None,
    confidence: float = 0.95,
    seed: int = 0,
) -> EasierModelResult | Skipped:
    """Compare the model's training loss with a linear model fitted to convergence by L-BFGS."""
    x, y = data.train.sample(MAX_EXAMPLES, seed)
    if not x.is_floating_point():
        return Skipped("inputs are integers (token ids); a linear model on them means nothing")
    features = flat_features(x)
    if features.shape[1] > MAX_FEATURES:
        return Skipped(f"{features.shape[1]} input features is too many for the linear baseline")
    mine = evaluate(model, TensorSplit("train", x, y), task)
    (standard,) = standardise(features)
    outputs = num_classes if task == "classification" else y.reshape(len(y), -1).shape[1]
    linear = _fit_linear(standard, y, task, outputs)
    with torch.no_grad():
        losses, errors = per_example(linear(standard), y, task)
    name = "logistic regression" if task == "classification" else "linear least squares"
    return EasierModelResult(
        name=name,
        model_loss=mine.loss,
        baseline_loss=float(losses.mean()),
        model_error=mine.error,
        baseline_error=float(errors.mean()),
        difference=paired_difference(mine.losses, losses.double().cpu().numpy(), confidence),
        n=len(y),
    )


def _fit_linear(x: torch.Tensor, y: torch.Tensor, task: str, outputs: int) -> nn.Linear:
    linear = nn.Linear(x.shape[1], outputs).to(x.device)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    target = y if task == "classification" else y.reshape(len(y), -1)
    loss_fn = F.cross_entropy if task == "classification" else F.mse_loss
    optimizer = torch.optim.LBFGS(
        linear.parameters(), lr=1, max_iter=500, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(linear(x), target) + 0.5 * L2 * linear.weight.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return linear
