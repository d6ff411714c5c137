"""Healthy control on tiny held-out splits: three Gaussian classes in 4-D, 200 training examples and
only 40 train-dev and 40 dev examples. One dev error moves the dev error by 2.5 points, so the
intervals are wide; the model sits at the Bayes error and nothing in it is wrong."""

from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): a healthy control with very small held-out splits"
WHY = "a point or two between tiny splits is noise, not a fault"

recipe = dd.Recipe(
    name="dev-healthy-tiny-splits",
    model=lambda: mlp([4, 16, 3]),
    data=lambda seed: gaussian_splits(seed, 3, 4, 3.5, (200, 40, 40)),
    lr=1e-2,
    batch_size=16,
    epochs=30,
)
