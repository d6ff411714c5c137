"""Fault: leakage by oversampling before splitting. A rare class (6 % of 6,000 labelled rows, two
overlapping Gaussian classes in 8-D, Bayes error of the original data ≈ 5 %, not given) was
balanced by duplicating each minority row 10 times, and only then was the pool split at random
into train and dev — so most dev minority rows are exact copies of training rows. The model
memorises the copies and dev scores them perfectly. The train-dev set is 1,500 other original rows
oversampled on their own, as it should be (same class mix as dev, no shared rows). Cure: split
first, then oversample each part separately."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L1.2: pre-processing — oversampling — on train and test "
    "together); DEFault: data-split fault"
)
EXPECTED = "data_leakage"
WHY = "dev rows duplicate training rows: dev error drops toward train, far below the clean train-dev"


def sample(n, rng):
    y = (rng.random(n) < 0.06).astype(np.int64)
    x = rng.standard_normal((n, 8)) + np.where(y == 1, 1.0, 0.0)[:, None]
    return x.astype(np.float32), y


def oversample(x, y, copies=10):
    rare = np.flatnonzero(y == 1)
    index = np.concatenate([np.flatnonzero(y == 0), np.repeat(rare, copies)])
    return x[index], y[index]


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    (x, y), train_dev = sample(6000, rng), oversample(*sample(1500, rng))
    if leak:
        x, y = oversample(x, y)
        order = rng.permutation(len(y))
        fit, held = order[2000:], order[:2000]
        return dd.Splits(train=(x[fit], y[fit]), train_dev=train_dev, dev=(x[held], y[held]))
    fit, held = np.arange(4500), np.arange(4500, 6000)
    return dd.Splits(train=oversample(x[fit], y[fit]), train_dev=train_dev, dev=oversample(x[held], y[held]))


SETUP = dict(
    model=lambda: clinic.mlp([8, 128, 128, 2]),
    data=make_data,
    lr=1e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="h3-dl-oversampled-before-split", **SETUP)
