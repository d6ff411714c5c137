"""Fault: dropout rate 0.9 after every hidden layer (a keep-probability of 0.1 written where a drop
rate belonged). Each training step sees a tenth of the units, so the 64-64 MLP behaves like a far
smaller one and cannot draw the two-moons boundary: train error stays well above what the same
network reaches without it. Cure: dropout 0.1."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "DeepCrime: change_dropout_rate; DEFault: regularisation fault (excessive dropout)"
EXPECTED = "high_bias"
WHY = "over-regularisation removes capacity: the model underfits its own training set"


def model(rate=0.9):
    return nn.Sequential(
        nn.Linear(2, 64),
        nn.ReLU(),
        nn.Dropout(rate),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Dropout(rate),
        nn.Linear(64, 2),
    )


SETUP = dict(
    model=model,
    data=lambda seed: clinic.splits(lambda n, rng: clinic.moons(n, rng, noise=0.15), seed, 4000, 1000, 1000),
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: model(0.1))
recipe = dd.Recipe(name="h2-hb-dropout-0-9", **SETUP)
