"""Digits and a ten-layer sigmoid MLP trained by plain SGD: each sigmoid scales the gradient by at
most 1/4 on its way down, so the first layers barely learn and the network stays near chance,
though a logistic regression on the same pixels fits the training set almost perfectly."""

from toolkit import digits_splits, mlp
from torch import nn

import dldoctor as dd

recipe = dd.Recipe(
    name="digits-vanishing-gradients",
    model=lambda: mlp([64, *[64] * 9, 10], activation=nn.Sigmoid),
    data=digits_splits,
    task="classification",
    optimizer="sgd",
    lr=0.1,
    beta=0.0,
    batch_size=64,
    epochs=10,
    description="Digits; 10-layer sigmoid MLP; plain SGD. Expected: optimisation failure"
    " (vanishing gradients).",
)
