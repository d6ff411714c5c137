"""Digits and a two-layer *linear* network initialised almost at zero. The origin is a saddle
point of a deep linear net: the gradient there is zero and the curvature has as much negative as
positive, so plain SGD creeps away from it very slowly and the loss stays at ln 10."""

import torch
from toolkit import digits_splits
from torch import nn

import dldoctor as dd


def near_zero_linear_net() -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32, bias=False), nn.Linear(32, 10, bias=False))
    with torch.no_grad():
        for layer in net[1:]:
            layer.weight.normal_(0.0, 1e-4)
    return net


recipe = dd.Recipe(
    name="digits-saddle",
    model=near_zero_linear_net,
    data=digits_splits,
    task="classification",
    optimizer="sgd",
    lr=0.01,
    beta=0.0,
    batch_size=64,
    epochs=10,
    description="Digits; linear 64-32-10 without biases, initialised at N(0, 1e-8). Expected: optimisation"
    " failure (a saddle point).",
)
