"""Regression: a smooth function of 6 inputs plus Gaussian noise of variance 0.25, an MLP that fits
it, 500-example held-out splits. The irreducible MSE is estimated, not given."""

import numpy as np
from _kit import mlp

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): a healthy regression control"
WHY = "the model reaches the noise floor; only estimation noise remains"


def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((n, 6))
    f = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + np.sin(x[:, 3])
    return x.astype(np.float32), (f + 0.5 * rng.standard_normal(n)).astype(np.float32)


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(5000, rng), train_dev=sample(500, rng), dev=sample(500, rng))


recipe = dd.Recipe(
    name="dev-healthy-regression",
    model=lambda: mlp([6, 64, 64, 1]),
    data=make_data,
    task="regression",
    lr=3e-3,
    batch_size=128,
    epochs=30,
)
