"""Healthy control (images, CNN, SGD + momentum with a cosine schedule): 8×8 images of pixel noise
(σ = 0.5) with one bright 2×2 square; the class is the quadrant the square lies in. The clean task
is almost noiseless, and 8 % of labels were replaced by another quadrant, so the Bayes error is the
8 % label noise (given). A small CNN reaches it."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: a CNN on images with known symmetric label noise, trained with SGD and a cosine schedule"
EXPECTED = "healthy"
WHY = "errors on every split sit at the 8 % label-noise floor: nothing avoidable is left"


def quadrant_images(n, rng):
    y = rng.integers(0, 4, size=n)
    x = 0.5 * rng.standard_normal((n, 1, 8, 8))
    row = 4 * (y // 2) + rng.integers(0, 3, size=n)
    col = 4 * (y % 2) + rng.integers(0, 3, size=n)
    for i in range(n):
        x[i, 0, row[i] : row[i] + 2, col[i] : col[i] + 2] += 1.5
    return x.astype(np.float32), y


NOISY = clinic.noisy(quadrant_images, 0.08, 4)
SETUP = dict(
    model=lambda: clinic.small_cnn(4),
    data=lambda seed: clinic.splits(NOISY, seed, 4000, 1500, 1500),
    bayes_error=0.08,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    scheduler="cosine",
    batch_size=64,
    epochs=12,
)
recipe = dd.Recipe(name="h2-healthy-cnn-quadrant", **SETUP)
