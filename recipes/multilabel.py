"""Five yes/no labels per example from 12-D Gaussian inputs; each label is a noisy threshold of a
quadratic score, f_k(x) = w_k·x + ½(u_k·x)² − ½, plus N(0, 0.3²) noise. An MLP with one logit per
label (sigmoid outputs, binary cross-entropy) and plenty of data reaches the per-label Bayes error
E[Φ(−|f_k(x)|/0.3)], computed by Monte Carlo below (about 8 %): nothing to fix, healthy."""

import numpy as np
from scipy.special import ndtr
from toolkit import mlp

import dldoctor as dd

DIM, LABELS, NOISE = 12, 5, 0.3
_axes = np.random.default_rng(1234).standard_normal((2, LABELS, DIM))
W, U = _axes / np.linalg.norm(_axes, axis=2, keepdims=True)  # unit directions per label


def scores(x: np.ndarray) -> np.ndarray:
    return x @ W.T + 0.5 * (x @ U.T) ** 2 - 0.5


def sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((n, DIM))
    y = scores(x) + NOISE * rng.standard_normal((n, LABELS)) > 0
    return x.astype(np.float32), y.astype(np.float32)


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(10_000, rng), train_dev=sample(3000, rng), dev=sample(3000, rng))


# The per-label (Hamming) Bayes error: each label's best guess is the sign of its score.
BAYES = float(ndtr(-np.abs(scores(np.random.default_rng(0).standard_normal((200_000, DIM)))) / NOISE).mean())

recipe = dd.Recipe(
    name="quadratic-multilabel",
    model=lambda: mlp([DIM, 64, LABELS]),
    data=make_data,
    task="multilabel",
    bayes_error=BAYES,
    lr=3e-3,
    batch_size=128,
    epochs=20,
    description=f"5 labels from 12-D Gaussians, 10,000 train; MLP 12-64-5, sigmoid outputs."
    f" Per-label Bayes error {100 * BAYES:.1f}%. Expected: healthy.",
)
