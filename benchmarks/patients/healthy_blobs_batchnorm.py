"""Healthy control: four Gaussian classes in 16-D, an MLP with BatchNorm trained by SGD with
momentum; Bayes error left to the estimator."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "control: BatchNorm architecture, SGD, 4 classes, Bayes error estimated"
EXPECTED = "healthy"
WHY = "a well-conditioned BatchNorm MLP with ample data fits the mixture to its floor; no gap material"


def make_model():
    return nn.Sequential(
        nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 32), nn.BatchNorm1d(32), nn.ReLU(),
        nn.Linear(32, 4),
    )  # fmt: skip


SETUP = dict(
    model=make_model,
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 8000, 2000, 2000),
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=128,
    epochs=10,
)
recipe = dd.Recipe(name="healthy-blobs-batchnorm", **SETUP)
