"""Fault: vanishing gradients. Eight sigmoid hidden layers (width 32) trained with plain SGD: each
sigmoid passes at most a quarter of the gradient back, so the early layers barely move and the
loss sits at chance on the moons. Cure: ReLU activations."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "AUTOTRAINER: vanishing gradient; DeepDiagnosis: vanishing gradient / saturated activation"
EXPECTED = "optimization_failure"
WHY = "the network can represent the boundary (its ReLU twin does), but gradients vanish before reaching it"

SETUP = dict(
    model=lambda: clinic.mlp([2] + [32] * 8 + [2], activation=nn.Sigmoid),
    data=lambda seed: clinic.splits(clinic.moons, seed, 4000, 1000, 1000),
    optimizer="sgd",
    lr=0.05,
    beta=0.0,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: clinic.mlp([2] + [32] * 8 + [2]), beta=0.9)
recipe = dd.Recipe(name="of-vanishing-sigmoid-stack", **SETUP)
