"""A CNN that cannot see where: 1×1 convolutions, then global average pooling, on 8×8 images whose
class is the side (left or right) of one bright 2×2 patch. Every image holds the same values in
different places, so the pooled pointwise features are alike for both classes: error near chance on a
task a 3×3 convolution solves."""

import numpy as np
from torch import nn

import dldoctor as dd

EXPECTED = "high_bias"
SOURCE = "dev case (verdict helper): an architecture blind to position"
WHY = "the model's function class ignores arrangement: it underfits train as badly as dev"


def images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=n)
    x = 0.2 * rng.standard_normal((n, 1, 8, 8))
    rows, cols = rng.integers(0, 7, size=n), rng.integers(0, 3, size=n) + 5 * y
    for i in range(n):
        x[i, 0, rows[i] : rows[i] + 2, cols[i] : cols[i] + 2] += 1.0
    return x.astype(np.float32), y


def splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    train, train_dev, dev = (images(n, rng) for n in (2000, 600, 600))
    return dd.Splits(train=train, train_dev=train_dev, dev=dev)


def pointwise() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 2),
    )


recipe = dd.Recipe(
    name="dev-pointwise-features-pooled",
    model=pointwise,
    data=splits,
    lr=3e-3,
    batch_size=64,
    epochs=10,
)
