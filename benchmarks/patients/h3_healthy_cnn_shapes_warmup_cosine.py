"""Healthy control (CNN, AdamW, warm-up + cosine): 8×8 images of one 3×3 shape — a plus, a hollow
square or an X — placed anywhere, in pixel noise σ = 0.5. The shapes differ in four to eight pixels,
and noise makes some ambiguous: the Bayes error is 7.4 % (the exact posterior over shapes and
positions, on 20,000 draws; not given). A CNN built for "a shape anywhere" — 3×3 filters, then a
global max-pool — trained on 4,000 images reaches that floor."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = "control: translation-invariant image task for a CNN (issue 10 class 1), AdamW + warm-up cosine"
EXPECTED = "healthy"
WHY = "all splits within about a point of the 7.4 % Bayes error: no avoidable bias, variance or mismatch"

SHAPES = np.array(
    [
        [[0, 1, 0], [1, 1, 1], [0, 1, 0]],
        [[1, 1, 1], [1, 0, 1], [1, 1, 1]],
        [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
    ],
    dtype=np.float32,
)
TRUE_BAYES = 0.074


def sample(n, rng, noise=0.5):
    y = rng.integers(0, 3, size=n)
    x = noise * rng.standard_normal((n, 1, 8, 8)).astype(np.float32)
    rows, cols = rng.integers(0, 6, size=n), rng.integers(0, 6, size=n)
    for i in range(n):
        x[i, 0, rows[i] : rows[i] + 3, cols[i] : cols[i] + 3] += SHAPES[y[i]]
    return x, y


def shape_detector():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3),
        nn.ReLU(),
        nn.Conv2d(16, 32, 1),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 3),
    )


SETUP = dict(
    model=shape_detector,
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    optimizer="adamw",
    lr=3e-3,
    weight_decay=1e-2,
    scheduler="warmup_cosine",
    batch_size=64,
    epochs=15,
)
REFERENCE = dict(epochs=30)
recipe = dd.Recipe(name="h3-healthy-cnn-shapes-warmup-cosine", **SETUP)
