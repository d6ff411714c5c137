"""Two moons with 8 % of the labels flipped, an MLP with room to spare and 300-example held-out
splits: the best possible error is about 8 %, and the model gets there without memorising the flips."""

import numpy as np
from _kit import mlp
from sklearn.datasets import make_moons

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): a healthy control with label noise and small held-out splits"
WHY = "label noise sets the Bayes error near 8 %; an early-stopped MLP reaches it"


def moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = make_moons(n, noise=0.15, random_state=seed)
    flip = np.random.default_rng(seed).random(n) < 0.08
    return x.astype(np.float32), np.where(flip, 1 - y, y)


def make_data(seed: int) -> dd.Splits:
    return dd.Splits(train=moons(3000, seed), train_dev=moons(300, seed + 1000), dev=moons(300, seed + 2000))


recipe = dd.Recipe(
    name="dev-healthy-moons",
    model=lambda: mlp([2, 32, 32, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
