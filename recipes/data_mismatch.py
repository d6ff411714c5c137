"""Train on centred digit scans; the dev set comes from a scanner whose crop is off by two
pixels. The model generalises within its training distribution and fails on the shifted one."""

import numpy as np
from toolkit import digits, mlp, shuffled_split

import dldoctor as dd


def off_centre(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift each 8×8 image two pixels right or down, as a misaligned scanner would."""
    shifted = np.zeros_like(images)
    right = rng.random(len(images)) < 0.5
    shifted[right, :, :, 2:] = images[right, :, :, :-2]
    shifted[~right, :, 2:, :] = images[~right, :, :-2, :]
    return shifted


def make_data(seed: int) -> dd.Splits:
    x, y = digits()
    train, dev = shuffled_split(len(y), [1297], seed)
    dev_x = off_centre(x[dev], np.random.default_rng(seed))
    return dd.Splits(train=(x[train], y[train]), dev=(dev_x, y[dev]))


recipe = dd.Recipe(
    name="digits-misaligned-dev",
    model=lambda: mlp([64, 128, 128, 10]),
    data=make_data,
    task="classification",
    lr=1e-3,
    batch_size=64,
    epochs=30,
    weight_decay=1e-4,
    description="Digits: 1,297 centred train; 500 dev shifted 2 px. Expected: data mismatch.",
)
