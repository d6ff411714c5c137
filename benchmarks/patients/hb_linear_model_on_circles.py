"""Fault: a model too simple for the task — one Linear layer (logistic regression) on two concentric
circles, whose boundary is a circle. Cure: an MLP with two hidden layers."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "DEFault: layer fault (missing layers / model too shallow); AUTOTRAINER-style underfitting set-up"
EXPECTED = "high_bias"
WHY = "no linear boundary separates concentric circles: ≈50 % train error against a Bayes error ≈ 0"

SETUP = dict(
    model=lambda: nn.Linear(2, 2),
    data=lambda seed: clinic.splits(clinic.circles, seed, 4000, 1000, 1000),
    lr=1e-2,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: clinic.mlp([2, 32, 32, 2]))
recipe = dd.Recipe(name="hb-linear-model-on-circles", **SETUP)
