"""Fault: saturated activations. Inputs scaled up 40× (a unit mistake) feed tanh hidden layers whose
weights are also initialised too large (N(0, 1)): nearly every hidden unit sits at ±1 where tanh's
gradient is ~0, so training barely moves the hidden layers. Cure: inputs in unit scale, default init."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = "DeepDiagnosis: saturated activation; TheDeepChecker: activation saturation"
EXPECTED = "optimization_failure"
WHY = "the units are saturated, so gradients vanish; the same net in its working range fits the moons"


def make_data(seed, scale=40.0):
    s = clinic.splits(clinic.moons, seed, 4000, 1000, 1000)
    up = lambda split: ((split[0] * scale).astype(np.float32), split[1])  # noqa: E731
    return dd.Splits(train=up(s.train), train_dev=up(s.train_dev), dev=up(s.dev))


def make_model(big_init=True):
    model = clinic.mlp([2, 64, 64, 2], activation=nn.Tanh)
    return clinic.init_linear(model, lambda w: nn.init.normal_(w, 0.0, 1.0)) if big_init else model


SETUP = dict(
    model=make_model,
    data=make_data,
    optimizer="sgd",
    lr=0.01,
    beta=0.9,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: make_model(big_init=False), data=lambda seed: make_data(seed, scale=1.0))
recipe = dd.Recipe(name="of-saturated-tanh", **SETUP)
