"""Healthy control on a small data set: scikit-learn's bundled wine table (178 rows, 13 chemical
measurements, three cultivars), standardised with the training statistics and split 100 / 39 / 39.
A small MLP with a little weight decay separates the cultivars almost perfectly; the few dev errors
are what 39 examples can show. Reference: twice the width and epochs, no better."""

import clinic
import numpy as np
from sklearn.datasets import load_wine

import dldoctor as dd

SOURCE = "control: UCI wine (bundled with scikit-learn), a small clean tabular problem"
EXPECTED = "healthy"
WHY = "178 rows, yet the classes are nearly separable: every split's error is a few percent at most"


def make_data(seed):
    x, y = load_wine(return_X_y=True)
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:100], order[100:139], order[139:]
    x = clinic.standardised(x.astype(np.float32), x[train])
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


SETUP = dict(
    model=lambda: clinic.mlp([13, 32, 3]),
    data=make_data,
    lr=3e-3,
    weight_decay=1e-3,
    batch_size=16,
    epochs=30,
)
REFERENCE = dict(model=lambda: clinic.mlp([13, 64, 64, 3]), epochs=60)
recipe = dd.Recipe(name="h2-healthy-wine-small", **SETUP)
