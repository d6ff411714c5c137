"""Healthy control (SGD with Nesterov momentum, step schedule, known Bayes error): three Gaussian
classes in 6-D whose centres sit on one line at −3, 0 and +3 (unit covariance, equal priors). The
outer classes are each confused with the middle one past ±1.5, so the Bayes error is
(4/3)·Φ(−1.5) = 8.9 %, given. 6,000 training examples, a 32-unit MLP, lr ×0.1 after each third."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: same-distribution Gaussian classes with a closed-form Bayes error (issue 10 class 1)"
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev ≈ the given 8.9 %: no gap is material and nothing is left to gain"

CENTRES = np.array([[-3.0, 0, 0, 0, 0, 0], [0.0, 0, 0, 0, 0, 0], [3.0, 0, 0, 0, 0, 0]])
TRUE_BAYES = 4 / 3 * clinic.normal_cdf(-1.5)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(3))


SETUP = dict(
    model=lambda: clinic.mlp([6, 32, 3]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 2000, 2000),
    bayes_error=TRUE_BAYES,
    optimizer="sgd",
    optimizer_kwargs={"nesterov": True},
    lr=0.05,
    beta=0.9,
    scheduler="step",
    batch_size=64,
    epochs=12,
)
REFERENCE = dict(model=lambda: clinic.mlp([6, 128, 128, 3]), epochs=24)
recipe = dd.Recipe(name="h3-healthy-three-classes-nesterov-step", **SETUP)
