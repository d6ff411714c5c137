"""Healthy control (regression): a smooth 6-D function plus Gaussian noise of variance 0.25 (the
Bayes MSE, given); an MLP with enough data reaches it."""

import clinic

import dldoctor as dd

SOURCE = "control: regression with known noise variance (healthy regression twin of the MSE faults)"
EXPECTED = "healthy"
WHY = "train, train-dev and dev MSE all sit near the noise variance 0.25: no material excess"

SETUP = dict(
    model=lambda: clinic.regressor([6, 64, 64, 1]),
    data=lambda seed: clinic.splits(clinic.smooth_regression, seed, 8000, 2000, 2000),
    task="regression",
    bayes_error=0.25,
    lr=3e-3,
    batch_size=128,
    epochs=40,
)
recipe = dd.Recipe(name="healthy-regression-smooth", **SETUP)
