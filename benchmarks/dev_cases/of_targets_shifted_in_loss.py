"""A loss that trains the wrong target: cross-entropy against (y + 1) mod K, an off-by-one in the
label mapping the loss uses but the error does not. The model learns the task perfectly — for the
shifted labels — so its error on the real ones is worse than a blind guess."""

import torch
import torch.nn.functional as F
from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "optimization_failure"
SOURCE = "dev case (verdict helper): the loss and the error read different labels"
WHY = "a training error above a blind guess's: no lack of capacity explains it, the set-up does"


def shifted(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(outputs, (y + 1) % outputs.shape[1], reduction="none")


recipe = dd.Recipe(
    name="dev-targets-shifted-in-loss",
    model=lambda: mlp([8, 32, 4]),
    data=lambda seed: gaussian_splits(seed, 4, 8, 4.0, (3000, 600, 600)),
    loss=shifted,
    lr=3e-3,
    batch_size=64,
    epochs=8,
)
