"""Helpers the example recipes share; a recipe imports modules beside it like any script."""

import itertools

import numpy as np
from sklearn.datasets import load_digits
from torch import nn

import dldoctor as dd


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 digits as float32 images in [0, 1], shape (1797, 1, 8, 8)."""
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8), y


def shuffled_split(n: int, sizes: list[int], seed: int) -> list[np.ndarray]:
    """Disjoint random index sets of the given sizes (the rest goes in a last set)."""
    return np.split(np.random.default_rng(seed).permutation(n), np.cumsum(sizes))


def digits_splits(seed: int) -> dd.Splits:
    """Digits shuffled into 1,297 training and 500 dev images (train-dev carved by dldoctor)."""
    x, y = digits()
    train, dev = shuffled_split(len(y), [1297], seed)
    return dd.Splits(train=(x[train], y[train]), dev=(x[dev], y[dev]))


def mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Flatten, then Linear layers of the given sizes with `activation` between them."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)
