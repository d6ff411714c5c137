"""Healthy control (dropout + early stopping, scikit-learn's make_classification): 20 features of
which 6 informative and 4 redundant, three classes with two clusters each, 5 % of labels flipped
(flip_y), class separation 1.2 — Bayes error unknown, estimated. A 64-64 MLP with dropout 0.2,
Adam, up to 20 epochs with early stopping on the dev loss (patience 5): the measured weights are
the best epoch's. 14,000 training rows."""

import numpy as np
from sklearn.datasets import make_classification
from torch import nn

import dldoctor as dd

SOURCE = "control: scikit-learn make_classification with dropout and early stopping (Keras-style recipe)"
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev; early stopping keeps the wide net from fitting the flipped labels"


def make_data(seed):
    x, y = make_classification(
        n_samples=18000,
        n_features=20,
        n_informative=6,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.05,
        class_sep=1.2,
        random_state=seed,
    )
    x = x.astype(np.float32)
    return dd.Splits(
        train=(x[:14000], y[:14000]), train_dev=(x[14000:16000], y[14000:16000]), dev=(x[16000:], y[16000:])
    )


def dropout_mlp(rate=0.2):
    return nn.Sequential(
        nn.Linear(20, 64),
        nn.ReLU(),
        nn.Dropout(rate),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Dropout(rate),
        nn.Linear(64, 3),
    )


SETUP = dict(
    model=dropout_mlp,
    data=make_data,
    lr=1e-3,
    batch_size=64,
    epochs=20,
    early_stopping=5,
)
REFERENCE = dict(model=lambda: dropout_mlp(0.3), epochs=40)
recipe = dd.Recipe(name="h4-healthy-dropout-early-stopping", **SETUP)
