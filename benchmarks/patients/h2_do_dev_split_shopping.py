"""Fault: dev overfitting by "split shopping". The team re-drew its 200-example dev set 1,000 times
from the labelled pool and kept the draw on which their nearest-centroid baseline scored best —
re-using the dev score until it looked good. Two overlapping Gaussian classes in 10-D (Bayes error
Φ(−0.6) = 27 %, not given). The chosen dev set is full of easy examples; a fresh test set from the
same pool shows the true error. Cure: one dev draw, kept whatever it scores."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course / Kapoor & Narayanan: repeated use of the evaluation set (overfitting the dev set by "
    "selection)"
)
EXPECTED = "dev_overfit"
WHY = "dev and test come from one pool, yet test error is far above dev: the dev set was chosen for its score"


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=10, half_gap=0.6)


def centroid_error(train, dev):
    (x, y), (dx, dy) = train, dev
    c0, c1 = x[y == 0].mean(0), x[y == 1].mean(0)
    pred = ((dx - c1) ** 2).sum(1) < ((dx - c0) ** 2).sum(1)
    return np.mean(pred != dy)


def make_data(seed, shop=True):
    rng = np.random.default_rng(seed)
    train, train_dev, test, (px, py) = (
        sample(3000, rng),
        sample(1000, rng),
        sample(2000, rng),
        sample(5000, rng),
    )
    draws = [rng.choice(len(py), 200, replace=False) for _ in range(1000 if shop else 1)]
    best = min(draws, key=lambda idx: centroid_error(train, (px[idx], py[idx])))
    return dd.Splits(train=train, train_dev=train_dev, dev=(px[best], py[best]), test=test)


SETUP = dict(
    model=lambda: clinic.mlp([10, 16, 2]),
    data=make_data,
    lr=3e-3,
    weight_decay=1e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, shop=False))
recipe = dd.Recipe(name="h2-do-dev-split-shopping", **SETUP)
