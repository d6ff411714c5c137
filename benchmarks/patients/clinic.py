"""Data and model builders the patients share (a helper module, not a patient).

Everything is generated or bundled with scikit-learn; nothing is downloaded. Each generator takes a
numpy Generator so a patient's `data(seed)` is reproducible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, make_circles, make_moons
from torch import nn

import dldoctor as dd

Sampler = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def two_gaussians(n: int, rng: np.random.Generator, dim: int = 10, half_gap: float = 1.0):
    """Two unit-covariance classes at ±half_gap on the first axis: Bayes error Φ(−half_gap)."""
    y = rng.integers(0, 2, size=n)
    x = rng.standard_normal((n, dim))
    x[:, 0] += np.where(y == 1, half_gap, -half_gap)
    return x.astype(np.float32), y


def blobs(n: int, rng: np.random.Generator, centres: np.ndarray, labels: np.ndarray, scale: float = 1.0):
    """A Gaussian mixture: component i sits at centres[i] and carries class labels[i]."""
    component = rng.integers(0, len(centres), size=n)
    x = centres[component] + scale * rng.standard_normal((n, centres.shape[1]))
    return x.astype(np.float32), labels[component]


def moons(n: int, rng: np.random.Generator, noise: float = 0.1):
    x, y = make_moons(n_samples=n, noise=noise, random_state=int(rng.integers(2**31)))
    return x.astype(np.float32), y


def circles(n: int, rng: np.random.Generator, noise: float = 0.05):
    x, y = make_circles(n_samples=n, noise=noise, factor=0.5, random_state=int(rng.integers(2**31)))
    return x.astype(np.float32), y


def flip_labels(y: np.ndarray, rate: float, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Replace a `rate` share of labels by a different class drawn uniformly (symmetric noise)."""
    flipped = y.copy()
    hit = rng.random(len(y)) < rate
    flipped[hit] = (y[hit] + rng.integers(1, classes, size=hit.sum())) % classes
    return flipped


def noisy(sampler: Sampler, rate: float, classes: int) -> Sampler:
    """The same sampler with symmetric label noise."""

    def sample(n: int, rng: np.random.Generator):
        x, y = sampler(n, rng)
        return x, flip_labels(y, rate, classes, rng)

    return sample


def splits(
    sampler: Sampler, seed: int, train: int, train_dev: int | None, dev: int, test: int | None = None
) -> dd.Splits:
    """Independent draws from one distribution for every split (train-dev carved when None)."""
    rng = np.random.default_rng(seed)
    return dd.Splits(
        train=sampler(train, rng),
        train_dev=sampler(train_dev, rng) if train_dev else None,
        dev=sampler(dev, rng),
        test=sampler(test, rng) if test else None,
    )


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 digits scaled to [0, 1], shape (1797, 1, 8, 8)."""
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8), y


def permuted(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n)


def digits_splits(seed: int, train: int = 1297) -> dd.Splits:
    """Digits shuffled into `train` training images and the rest (500 by default) as dev."""
    x, y = digits_images()
    order = permuted(len(y), seed)
    return dd.Splits(train=(x[order[:train]], y[order[:train]]), dev=(x[order[train:]], y[order[train:]]))


def digits_with_train_dev(
    seed: int, dev_images: Callable[[np.ndarray], np.ndarray] | None = None
) -> dd.Splits:
    """Digits shuffled 1,000 train / 297 train-dev / 500 dev; `dev_images` alters the dev images only."""
    x, y = digits_images()
    order = permuted(len(y), seed)
    train, train_dev, dev = order[:1000], order[1000:1297], order[1297:]
    dev_x = dev_images(x[dev]) if dev_images else x[dev]
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(dev_x, y[dev]))


def breast_cancer_raw() -> tuple[np.ndarray, np.ndarray]:
    """The bundled Wisconsin breast-cancer table, unscaled (features range from 1e-3 to 4e3)."""
    x, y = load_breast_cancer(return_X_y=True)
    return x.astype(np.float32), y


def standardised(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return ((x - reference.mean(0)) / (reference.std(0) + 1e-8)).astype(np.float32)


def breast_cancer_splits(seed: int) -> dd.Splits:
    """The breast-cancer table shuffled 369 / 100 / 100, standardised with the training statistics."""
    x, y = breast_cancer_raw()
    order = permuted(len(y), seed)
    train, train_dev, dev = order[:369], order[369:469], order[469:]
    x = standardised(x, x[train])
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


def mlp(sizes: list[int], activation: Callable[[], nn.Module] | None = nn.ReLU, flatten: bool = True):
    """Linear layers of the given sizes with `activation` between them (None: no activation)."""
    layers: list[nn.Module] = [nn.Flatten()] if flatten else []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if activation is not None and i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def init_linear(model: nn.Module, weight: Callable[[torch.Tensor], None], bias: float | None = None):
    """Apply `weight` to every Linear weight (and set every bias to `bias` when given); returns model."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                weight(layer.weight)
                if bias is not None:
                    layer.bias.fill_(bias)
    return model


class Squeeze(nn.Module):
    """(N, 1) → (N,): regression heads must return one value per example."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.squeeze(-1)


def regressor(sizes: list[int], activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    return nn.Sequential(*mlp(sizes, activation, flatten=False), Squeeze())


def smooth_regression(n: int, rng: np.random.Generator, dim: int = 6, noise: float = 0.5):
    """y = a fixed mildly non-linear function of x plus N(0, noise²): Bayes MSE = noise²."""
    x = rng.standard_normal((n, dim)).astype(np.float32)
    w = np.linspace(1.0, -1.0, dim)
    y = x @ w + np.tanh(2 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    return x, (y + noise * rng.standard_normal(n)).astype(np.float32)


def friedman(n: int, rng: np.random.Generator, noise: float = 1.0, extra: int = 5):
    """Friedman #1 (10 + extra uniform inputs, 5 used) with N(0, noise²): Bayes MSE = noise²."""
    x = rng.random((n, 5 + extra))
    y = 10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4]
    return x.astype(np.float32), (y + noise * rng.standard_normal(n)).astype(np.float32)


def bar_images(n: int, rng: np.random.Generator, noise: float = 0.35):
    """8×8 images of one bright bar — horizontal (0), vertical (1) or diagonal (2) — in pixel noise."""
    y = rng.integers(0, 3, size=n)
    x = noise * rng.standard_normal((n, 1, 8, 8))
    where = rng.integers(1, 7, size=n)
    for i in range(n):
        if y[i] == 0:
            x[i, 0, where[i], 1:7] += 1.0
        elif y[i] == 1:
            x[i, 0, 1:7, where[i]] += 1.0
        else:
            x[i, 0, np.arange(1, 7), np.arange(1, 7)[:: (1 if where[i] % 2 else -1)]] += 1.0
    return x.astype(np.float32), y


def small_cnn(classes: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, classes),
    )


def four_blobs(n: int, rng: np.random.Generator):
    """Four unit-variance classes in 16-D at 3·e_k (pairwise 4.2 apart): Bayes error ≈ 5 %."""
    return blobs(n, rng, 3.0 * np.eye(4, 16), np.arange(4))


def reviews(n: int, rng: np.random.Generator, polarity: np.ndarray, words: np.ndarray, length: int = 12):
    """Token sequences of `length` ids drawn from `words`; label 1 when the ids' polarities sum > 0.

    A bag of words decides it exactly (the sum is linear in the word counts), so the Bayes error is
    whatever label noise a patient adds.
    """
    tokens = rng.choice(words, size=(n, length))
    return tokens.astype(np.int64), (polarity[tokens].sum(1) > 0).astype(np.int64)


class BagOfEmbeddings(nn.Module):
    """Embed each token id, average over the sequence (order is lost), then a small MLP."""

    def __init__(self, vocabulary: int, dim: int = 16, hidden: int = 32, classes: int = 2):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, dim)
        self.head = mlp([dim, hidden, classes], flatten=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens.long()).mean(1))
