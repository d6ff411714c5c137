"""Training data stored sorted by label and shuffle=False: each stretch of an epoch sees one class
and the optimiser undoes what the last stretch learnt, ending each epoch biased to the last class."""

import numpy as np
from _kit import gaussians, mlp

import dldoctor as dd

EXPECTED = "optimization_failure"
SOURCE = "dev case (verdict helper): data order, a set-up fault"
WHY = "shuffling the same data lets the same network fit"


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    x, y = gaussians(4000, rng, 5, 10, 4.0)
    order = np.argsort(y, kind="stable")
    return dd.Splits(
        train=(x[order], y[order]),
        train_dev=gaussians(500, rng, 5, 10, 4.0),
        dev=gaussians(500, rng, 5, 10, 4.0),
    )


recipe = dd.Recipe(
    name="dev-unshuffled-sorted",
    model=lambda: mlp([10, 64, 5]),
    data=make_data,
    lr=3e-2,
    batch_size=20,
    epochs=8,
    shuffle=False,
)
