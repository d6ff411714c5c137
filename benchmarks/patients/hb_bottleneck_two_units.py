"""Fault: a two-unit bottleneck in a digits MLP (64-128-2-128-10). Ten classes must pass through a
2-D code, which cannot separate them: the network underfits its own training set.
Cure: no bottleneck (64-128-128-10)."""

import clinic

import dldoctor as dd

SOURCE = "DEFault: layer fault (too few neurons in a layer)"
EXPECTED = "high_bias"
WHY = "a capacity fault: train error far above the Bayes error, and a bigger model (no bottleneck) fixes it"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 2, 128, 10]),
    data=clinic.digits_splits,
    lr=1e-3,
    batch_size=64,
    epochs=25,
)
CURE = dict(model=lambda: clinic.mlp([64, 128, 128, 10]))
recipe = dd.Recipe(name="hb-bottleneck-two-units", **SETUP)
