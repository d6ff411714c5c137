"""Fault: every weight initialised to the same constant (0.01). All hidden units of a layer compute
the same function and receive the same gradient, so they stay identical: the 64-unit layers act as
single units, and four classes cannot be told apart. Cure: random (default) initialisation."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "DeepCrime: change_weights_initialisation; TheDeepChecker: parameter initialisation issue"
EXPECTED = "optimization_failure"
WHY = "symmetry is never broken: the same architecture randomly initialised fits, so training failed"


def make_model(constant=0.01):
    model = clinic.mlp([16, 64, 64, 4])
    return (
        clinic.init_linear(model, lambda w: nn.init.constant_(w, constant), bias=0.0) if constant else model
    )


SETUP = dict(
    model=make_model,
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    lr=1e-3,
    batch_size=64,
    epochs=10,
)
CURE = dict(model=lambda: make_model(constant=None))
recipe = dd.Recipe(name="of-constant-init", **SETUP)
