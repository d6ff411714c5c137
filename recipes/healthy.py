"""Three Gaussian classes in 8-D and a small MLP with plenty of data: a model that fits as well as
the data allow and generalises — nothing to fix. Bayes error 2.3 % by construction."""

import numpy as np
from toolkit import mlp

import dldoctor as dd

CENTRES = 3.2 * np.eye(3, 8)  # class means on orthogonal axes, 4.5 apart: Bayes error 2.3 %


def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 3, size=n)
    x = CENTRES[y] + rng.standard_normal((n, 8))
    return x.astype(np.float32), y


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(10_000, rng), train_dev=sample(3000, rng), dev=sample(3000, rng))


recipe = dd.Recipe(
    name="gaussians-healthy",
    model=lambda: mlp([8, 16, 3]),
    data=make_data,
    task="classification",
    lr=3e-3,
    batch_size=256,
    epochs=15,
    weight_decay=1e-4,
    description="3 Gaussian classes in 8-D, 10,000 train; MLP 8-16-3. Expected: healthy.",
)
