"""Fault (regression): a Sigmoid left on the output of a regression network. Its outputs live in
(0, 1) while the targets spread over roughly ±5, so no weights can fit them. Cure: a linear output."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "DEFault: activation fault (wrong output-layer activation); UMLAUT: last-layer activation check"
EXPECTED = "high_bias"
WHY = (
    "the output range cannot reach the targets — a capacity fault of the model itself (issue 10 static check)"
)


def make_model():
    return nn.Sequential(*clinic.mlp([6, 64, 64, 1], flatten=False), nn.Sigmoid(), clinic.Squeeze())


SETUP = dict(
    model=make_model,
    data=lambda seed: clinic.splits(clinic.smooth_regression, seed, 4000, 1000, 1000),
    task="regression",
    bayes_error=0.25,
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: clinic.regressor([6, 64, 64, 1]))
recipe = dd.Recipe(name="hb-output-sigmoid-regression", **SETUP)
