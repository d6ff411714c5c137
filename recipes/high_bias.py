"""Two interleaved spirals and a network with two hidden units: far too small to draw the
boundary, so it underfits its own training set. Bayes error ≈ 0; a bigger model fixes it."""

import numpy as np
from toolkit import mlp
from torch import nn

import dldoctor as dd


def spirals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0.25, 3.0, size=n) * np.pi  # 1.4 turns, arms well separated
    angle = t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / np.pi
    return (x + 0.05 * rng.standard_normal(x.shape)).astype(np.float32), y


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=spirals(3000, rng), train_dev=spirals(1000, rng), dev=spirals(1000, rng))


recipe = dd.Recipe(
    name="spirals-too-small",
    model=lambda: mlp([2, 2, 2], activation=nn.Tanh),
    data=make_data,
    task="classification",
    lr=1e-2,
    batch_size=64,
    epochs=20,
    description="Two spirals, 3,000 train; MLP 2-2-2 (tanh). Expected: high bias.",
)
