"""Healthy control with natural duplicates: three measurements read off a coarse scale (steps of
0.5), so unrelated records often coincide — in train-dev as often as in dev. A small MLP at the Bayes
error; the duplicates are the data's, not a leak."""

import numpy as np
from _kit import gaussians, mlp

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): duplicates by chance, at the same rate in train-dev and dev"
WHY = "dev shares rows with train no more often than train-dev does"


def coarse(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = gaussians(n, rng, 2, 3, 2.5)
    return (np.round(2 * x) / 2).astype(np.float32), y


def splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    train, train_dev, dev = (coarse(n, rng) for n in (400, 120, 120))
    return dd.Splits(train=train, train_dev=train_dev, dev=dev)


recipe = dd.Recipe(
    name="dev-healthy-coarse-measurements",
    model=lambda: mlp([3, 16, 2]),
    data=splits,
    lr=1e-2,
    batch_size=32,
    epochs=30,
)
