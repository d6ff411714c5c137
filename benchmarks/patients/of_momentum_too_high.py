"""Fault: SGD with momentum 0.999 at lr 0.1 — an effective step of lr/(1 − β) = 100. The velocity
overshoots back and forth and the loss oscillates or diverges on the digits. Cure: momentum 0.9,
lr 0.05."""

import clinic

import dldoctor as dd

SOURCE = "DEFault: optimisation fault (wrong optimiser hyperparameter); AUTOTRAINER: oscillating loss"
EXPECTED = "optimization_failure"
WHY = "the optimiser's settings make training unstable; the same model trains well with sane momentum"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    optimizer="sgd",
    lr=0.1,
    beta=0.999,
    batch_size=64,
    epochs=15,
)
CURE = dict(lr=0.05, beta=0.9)
recipe = dd.Recipe(name="of-momentum-too-high", **SETUP)
