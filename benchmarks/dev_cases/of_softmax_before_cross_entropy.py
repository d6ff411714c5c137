"""Digits and a sound MLP whose last layer is a softmax, fed to cross-entropy, which applies its own:
the logits are stuck in [0, 1], so the gradient that reaches the network is tiny and training crawls.
The argmax of a softmax is the argmax of its input, so the function class is not what limits it."""

from _kit import digits_splits, mlp
from torch import nn

import dldoctor as dd

EXPECTED = "optimization_failure"
SOURCE = "dev case (verdict helper): a wiring fault between model and loss"
WHY = "removing the softmax (raw logits) lets the same network fit; no capacity is missing"

recipe = dd.Recipe(
    name="dev-softmax-before-ce",
    model=lambda: nn.Sequential(mlp([64, 64, 10]), nn.Softmax(dim=1)),
    data=digits_splits,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=10,
)
