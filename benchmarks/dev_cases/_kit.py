"""Data and models the development cases share (not a case: its name starts with an underscore)."""

import itertools

import numpy as np
from torch import nn

import dldoctor as dd


def gaussians(
    n: int, rng: np.random.Generator, k: int, d: int, spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian classes in d dimensions, means `spread` apart on orthogonal axes, unit covariance."""
    y = rng.integers(0, k, size=n)
    x = spread / np.sqrt(2) * np.eye(k, d)[y] + rng.standard_normal((n, d))
    return x.astype(np.float32), y


def gaussian_splits(seed: int, k: int, d: int, spread: float, sizes: tuple[int, int, int]) -> dd.Splits:
    """train, train-dev and dev drawn from one distribution (train-dev None when its size is 0)."""
    rng = np.random.default_rng(seed)
    train, train_dev, dev = (gaussians(n, rng, k, d, spread) if n else None for n in sizes)
    return dd.Splits(train=train, train_dev=train_dev, dev=dev)


def mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with `activation` between them."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def digits_splits(seed: int) -> dd.Splits:
    """scikit-learn's 8×8 digits, flattened to 64 pixels in [0, 1]: 1,297 train, 500 dev, shuffled."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    x = (x[order] / 16.0).astype(np.float32)
    return dd.Splits(train=(x[:1297], y[order][:1297]), dev=(x[1297:], y[order][1297:]))
