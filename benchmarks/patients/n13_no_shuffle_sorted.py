"""Fault (needs issue 13's `shuffle`): training data sorted by class and shuffling turned off. Each
epoch ends with a long run of the last class, so plain SGD drags the model toward it every epoch
and it ends predicting mostly that class. Cure: shuffle=True."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "DEFault: hyperparameter/training fault (no data shuffling); issue 13 reading 'shuffle off on sorted "
    "data'"
)
EXPECTED = "optimization_failure"
WHY = "the order of the updates, not the model, prevents fitting: the same set-up shuffled fits"
NEEDS = "issue 13: shuffle"

CENTRES = 2.5 * np.eye(4, 8)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(4))


def make_data(seed):
    s = clinic.splits(sample, seed, 4000, 1000, 1000)
    x, y = s.train
    order = np.argsort(y, kind="stable")
    return dd.Splits(train=(x[order], y[order]), train_dev=s.train_dev, dev=s.dev)


SETUP = dict(
    model=lambda: clinic.mlp([8, 32, 4]),
    data=make_data,
    shuffle=False,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=32,
    epochs=10,
)
CURE = dict(shuffle=True)
recipe = dd.Recipe(name="n13-no-shuffle-sorted", **SETUP)
