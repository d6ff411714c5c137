"""Healthy control (regression, small and noisy): scikit-learn's bundled diabetes table (442
patients, 10 baseline measurements, disease progression after a year), target standardised with the
training statistics, split 262 / 90 / 90. A linear model trained with SGD + momentum explains about
half the variance, which is what this data set allows: the progression depends on much that the ten
measurements do not record. Reference: a 64-64 MLP, no better on dev."""

import clinic
import numpy as np
from sklearn.datasets import load_diabetes
from torch import nn

import dldoctor as dd

SOURCE = "control: Efron et al. diabetes data (bundled with scikit-learn); linear is near the best known fit"
EXPECTED = "healthy"
WHY = "high irreducible noise, not a fault: train ≈ train-dev ≈ dev MSE and a bigger model gains nothing"


def make_data(seed):
    x, y = load_diabetes(return_X_y=True)
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:262], order[262:352], order[352:]
    x = clinic.standardised(x.astype(np.float32), x[train])
    y = ((y - y[train].mean()) / y[train].std()).astype(np.float32)
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


SETUP = dict(
    model=lambda: nn.Sequential(nn.Linear(10, 1), clinic.Squeeze()),
    data=make_data,
    task="regression",
    optimizer="sgd",
    lr=0.01,
    beta=0.9,
    batch_size=32,
    epochs=40,
)
REFERENCE = dict(model=lambda: clinic.regressor([10, 64, 64, 1]), optimizer="adam", lr=1e-3)
recipe = dd.Recipe(name="h2-healthy-diabetes-linear", **SETUP)
