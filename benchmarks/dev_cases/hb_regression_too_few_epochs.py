"""Regression with a deep-enough MLP trained for only four epochs at a modest rate: the training loss is
still falling fast when training stops. More epochs is the cure: high bias, "train longer"."""

import numpy as np
from _kit import mlp

import dldoctor as dd

EXPECTED = "high_bias"
SOURCE = "dev case (verdict helper): unfinished training, regression"
WHY = "the same set-up for 60 epochs reaches the noise floor"


def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2, 2, (n, 5))
    f = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] ** 2
    return x.astype(np.float32), (f + 0.3 * rng.standard_normal(n)).astype(np.float32)


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(4000, rng), train_dev=sample(1000, rng), dev=sample(1000, rng))


recipe = dd.Recipe(
    name="dev-regression-few-epochs",
    model=lambda: mlp([5, 64, 64, 64, 1]),
    data=make_data,
    task="regression",
    bayes_error=0.09,
    lr=1e-3,
    batch_size=128,
    epochs=4,
)
