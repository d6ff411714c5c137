"""Fault: far too much capacity for far too little data, in regression. 60 training rows of a
smooth 5-D function (y = x₀ − x₁ + sin(2x₂) + x₃x₄ plus noise σ = 0.5, Bayes MSE 0.25, not given)
and a 256-256 MLP trained for 150 epochs with no regularisation: it interpolates the noise, so the
training MSE falls far below the noise floor while held-out rows of the same distribution (1,000 in
train-dev, 1,000 in dev) are several times worse. Cure: 3,000 training rows."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Ng's course: high variance (more data, regularisation); DeepCrime: change training data size"
EXPECTED = "high_variance"
WHY = "train MSE ≪ noise floor, train-dev ≈ dev ≫ train: the model memorised 60 rows"

TRUE_BAYES = 0.25


def sample(n, rng):
    x = rng.standard_normal((n, 5))
    y = x[:, 0] - x[:, 1] + np.sin(2 * x[:, 2]) + x[:, 3] * x[:, 4] + 0.5 * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


SETUP = dict(
    model=lambda: clinic.regressor([5, 256, 256, 1]),
    data=lambda seed: clinic.splits(sample, seed, 60, 1000, 1000),
    task="regression",
    lr=1e-3,
    batch_size=16,
    epochs=150,
)
CURE = dict(data=lambda seed: clinic.splits(sample, seed, 3000, 1000, 1000), epochs=30)
recipe = dd.Recipe(name="h3-hv-regression-few-rows-wide-net", **SETUP)
