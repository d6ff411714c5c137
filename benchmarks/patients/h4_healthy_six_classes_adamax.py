"""Healthy control (six classes, Adamax, Bayes by Monte Carlo): six unit-covariance Gaussian classes
in 10-D, centres at 1.8·e_k (pairwise 2.55 apart), so each class overlaps all five others and the
Bayes error is about 30 % (nearest centre, Monte Carlo below, not given). 6,000 training rows, a
32-unit MLP trained with Adamax."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: many overlapping classes with an estimated Bayes error, an uncommon torch optimiser"
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev within a point or two of the ~30 % floor; a bigger net gains nothing"

CENTRES = 1.8 * np.eye(6, 10)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(6))


def monte_carlo_bayes(n=300_000):
    """Equal priors and covariances: the Bayes rule is the nearest centre."""
    x, y = sample(n, np.random.default_rng(0))
    return float(np.mean(((x[:, None, :] - CENTRES[None]) ** 2).sum(-1).argmin(1) != y))


TRUE_BAYES = monte_carlo_bayes()

SETUP = dict(
    model=lambda: clinic.mlp([10, 32, 6]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 2000, 2000),
    optimizer="adamax",
    lr=2e-3,
    batch_size=64,
    epochs=15,
)
REFERENCE = dict(model=lambda: clinic.mlp([10, 128, 128, 6]), epochs=30)
recipe = dd.Recipe(name="h4-healthy-six-classes-adamax", **SETUP)
