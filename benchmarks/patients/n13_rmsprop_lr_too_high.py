"""Fault (needs issue 13's optimiser names): RMSprop at lr 0.1 — RMSprop normalises each step to
about lr per weight, so 0.1 is ~100× too large; the loss blows up and units die.
Cure: lr = 1e-3."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: change_optimisation_function + change_learning_rate; AUTOTRAINER: oscillating loss"
EXPECTED = "optimization_failure"
WHY = "the same network trains with RMSprop at a sane rate: the optimiser's step size is the fault"
NEEDS = "issue 13: optimizer='rmsprop'"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    optimizer="rmsprop",
    lr=0.1,
    beta=0.0,
    batch_size=64,
    epochs=15,
)
CURE = dict(lr=1e-3)
recipe = dd.Recipe(name="n13-rmsprop-lr-too-high", **SETUP)
