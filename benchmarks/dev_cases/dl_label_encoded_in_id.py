"""Target leakage: a record number assigned after the records were sorted by outcome sits beside 8
genuine measurements, so it tells the class apart for all but a few records. The measurements alone
allow Φ(−1) = 15.9 % (given as the Bayes error); with the record number every split scores a few
percent, which no model of the measurements can reach."""

import numpy as np
from _kit import gaussians, mlp

import dldoctor as dd

EXPECTED = "data_leakage"
SOURCE = "dev case (verdict helper): an input that encodes the label"
WHY = "held-out errors far below the given Bayes error: the model reads the answer from one input"


def records(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = gaussians(n, rng, 2, 8, 2.0)
    number = (y + rng.random(n) * 1.05) / 2.05  # sorted by outcome: class 1 numbered above class 0
    return np.column_stack([x, number]).astype(np.float32), y


def splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    train, train_dev, dev = (records(n, rng) for n in (3000, 800, 800))
    return dd.Splits(train=train, train_dev=train_dev, dev=dev)


recipe = dd.Recipe(
    name="dev-label-encoded-in-id",
    model=lambda: mlp([9, 32, 2]),
    data=splits,
    bayes_error=0.1587,  # Φ(−1): two unit Gaussians with means 2 apart
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
