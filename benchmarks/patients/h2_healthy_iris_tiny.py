"""Healthy control on a tiny data set: Fisher's iris (150 rows, 4 measurements, three species),
standardised with the training statistics and split 90 / 30 / 30. Setosa is separable, versicolor
and virginica overlap slightly; a small MLP makes the usual 2–5 % of errors. Small data is not, by
itself, a fault. Reference: a wider MLP trained longer, no better."""

import clinic
import numpy as np
from sklearn.datasets import load_iris

import dldoctor as dd

SOURCE = "control: Fisher's iris (bundled with scikit-learn), a tiny problem done right"
EXPECTED = "healthy"
WHY = "150 rows, but a matched model: errors a few percent on every split, nothing avoidable to show"


def make_data(seed):
    x, y = load_iris(return_X_y=True)
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:90], order[90:120], order[120:]
    x = clinic.standardised(x.astype(np.float32), x[train])
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


SETUP = dict(
    model=lambda: clinic.mlp([4, 16, 3]),
    data=make_data,
    lr=1e-2,
    batch_size=16,
    epochs=40,
)
REFERENCE = dict(model=lambda: clinic.mlp([4, 64, 64, 3]), epochs=80)
recipe = dd.Recipe(name="h2-healthy-iris-tiny", **SETUP)
