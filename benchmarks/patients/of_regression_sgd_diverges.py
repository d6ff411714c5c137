"""Fault (regression): SGD at lr 0.05 with momentum on Friedman #1 targets (spread ≈ ±15): the
squared-error gradients are large and the iterates blow up to inf/NaN within the first epoch.
Cure: lr = 1e-3."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: change_learning_rate (higher); AUTOTRAINER: exploding gradient (regression subject)"
EXPECTED = "optimization_failure"
WHY = "the loss diverges to a non-finite value: the optimiser fails before any fit can be judged"

SETUP = dict(
    model=lambda: clinic.regressor([10, 64, 64, 1]),
    data=lambda seed: clinic.splits(clinic.friedman, seed, 4000, 1000, 1000),
    task="regression",
    bayes_error=1.0,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=10,
)
CURE = dict(lr=1e-3)
recipe = dd.Recipe(name="of-regression-sgd-diverges", **SETUP)
