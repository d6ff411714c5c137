"""A tanh MLP initialised with weights 25 times the usual scale: nearly every unit sits in the flat
tails of tanh, the gradient through them is almost zero, and SGD barely moves the fit."""

import torch
from _kit import digits_splits, mlp
from torch import nn

import dldoctor as dd

EXPECTED = "optimization_failure"
SOURCE = "dev case (verdict helper): saturating initialisation"
WHY = "the same network at the usual initialisation scale fits digits"


def make_model() -> nn.Module:
    model = mlp([64, 128, 128, 10], activation=nn.Tanh)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(25.0)
    return model


recipe = dd.Recipe(
    name="dev-saturated-tanh",
    model=make_model,
    data=digits_splits,
    optimizer="sgd",
    lr=0.003,
    beta=0.9,
    batch_size=64,
    epochs=10,
)
