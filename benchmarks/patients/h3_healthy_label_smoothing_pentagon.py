"""Healthy control (label smoothing 0.1, RMSprop, large dev set): five Gaussian classes in 2-D at
the corners of a regular pentagon of radius 2.5 (unit covariance), so neighbouring classes overlap
and the Bayes error is about 14 % (computed by Monte Carlo below, not given). 6,000 training
examples, a 64-64 MLP trained with label-smoothed cross-entropy; dev has 5,000 examples."""

import clinic
import numpy as np
import torch.nn.functional as F

import dldoctor as dd

SOURCE = "control: label smoothing (Szegedy et al.) on overlapping Gaussian classes, a large dev set"
EXPECTED = "healthy"
WHY = (
    "train, train-dev and dev all within ~1 point of the Monte Carlo Bayes error; a larger net gains nothing"
)

ANGLES = 2 * np.pi * np.arange(5) / 5
CENTRES = 2.5 * np.stack([np.cos(ANGLES), np.sin(ANGLES)], 1)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(5))


def monte_carlo_bayes(n=400_000):
    """Equal priors and covariances: the Bayes rule is the nearest centre."""
    x, y = sample(n, np.random.default_rng(0))
    nearest = ((x[:, None, :] - CENTRES[None]) ** 2).sum(-1).argmin(1)
    return float(np.mean(nearest != y))


TRUE_BAYES = monte_carlo_bayes()


def smoothed_cross_entropy(outputs, targets):
    return F.cross_entropy(outputs, targets, label_smoothing=0.1, reduction="none")


SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 5]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 2000, 5000),
    loss=smoothed_cross_entropy,
    optimizer="rmsprop",
    lr=1e-3,
    beta=0.0,
    batch_size=64,
    epochs=12,
)
REFERENCE = dict(model=lambda: clinic.mlp([2, 256, 256, 5]), epochs=24)
recipe = dd.Recipe(name="h3-healthy-label-smoothing-pentagon", **SETUP)
