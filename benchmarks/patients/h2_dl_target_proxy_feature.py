"""Fault: target leakage through a feature recorded after the outcome — a "treatment started" flag
that clinicians set once the diagnosis was known (it agrees with the label 98 % of the time) sits
beside 10 genuine measurements in every split. The genuine task has a Bayes error of Φ(−0.8) = 21.2 %
(given: the error the measurements allow); with the proxy the model scores ~2 % everywhere, an error
no honest model of the measurements can reach. Cure: drop the proxy column."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Kapoor & Narayanan leakage taxonomy (L2: features that are not legitimate — proxies of the target)"
EXPECTED = "data_leakage"
WHY = (
    "every split's error is far below the task's known Bayes error: the model reads the answer from a "
    "leaked feature"
)


def sample(n, rng, proxy=True):
    x, y = clinic.two_gaussians(n, rng, dim=10, half_gap=0.8)
    if not proxy:
        return x, y
    flag = np.where(rng.random(n) < 0.98, y, 1 - y).astype(np.float32)
    return np.column_stack([x, flag]).astype(np.float32), y


def make_data(seed, proxy=True):
    return clinic.splits(lambda n, rng: sample(n, rng, proxy), seed, 4000, 1000, 1000)


SETUP = dict(
    model=lambda: clinic.mlp([11, 32, 2]),
    data=make_data,
    bayes_error=clinic.normal_cdf(-0.8),
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, proxy=False), model=lambda: clinic.mlp([10, 32, 2]))
recipe = dd.Recipe(name="h2-dl-target-proxy-feature", **SETUP)
