"""Healthy control: four Gaussian blobs in an XOR layout (2-D), an MLP trained with SGD and
momentum. Bayes error ≈ 2·Φ(−2)·(1 − Φ(−2)) ≈ 4.4 %, left for dldoctor to estimate."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: a non-linear boundary, SGD with momentum, Bayes error estimated (not given)"
EXPECTED = "healthy"
WHY = "a converged MLP at the XOR mixture's ≈4.4 % floor on same-distribution splits: nothing to gain"

CENTRES = np.array([[2.0, 2.0], [-2.0, -2.0], [2.0, -2.0], [-2.0, 2.0]])
LABELS = np.array([0, 0, 1, 1])


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, LABELS)


SETUP = dict(
    model=lambda: clinic.mlp([2, 32, 32, 2]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 2000, 2000),
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=20,
)
recipe = dd.Recipe(name="healthy-xor-sgd", **SETUP)
