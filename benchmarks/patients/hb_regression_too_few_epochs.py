"""Fault (regression): Friedman #1 with known noise (Bayes MSE 1.0), an MLP stopped after 3 epochs
with the loss still falling. Cure: 60 epochs."""

import clinic

import dldoctor as dd

SOURCE = "DeepFD: epochs (insufficient training); DeepCrime: change_epochs (fewer), regression subject"
EXPECTED = "high_bias"
WHY = "train MSE far above the noise variance with the loss still falling: high bias, 'train longer'"

SETUP = dict(
    model=lambda: clinic.regressor([10, 64, 64, 1]),
    data=lambda seed: clinic.splits(clinic.friedman, seed, 4000, 1000, 1000),
    task="regression",
    bayes_error=1.0,
    lr=1e-3,
    batch_size=64,
    epochs=3,
)
CURE = dict(epochs=60)
recipe = dd.Recipe(name="hb-regression-too-few-epochs", **SETUP)
