"""Healthy control (regression, NAdam + cosine schedule, known noise): inputs uniform on [−2, 2]⁴,
y = 2 sin(x₀) + x₁²/2 − x₂ + x₃/2 plus Gaussian noise of variance 0.25 (the Bayes MSE, given),
8,000 training rows; a 64-64 MLP fits the smooth additive function and sits near the noise floor."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: regression with known noise variance, a different optimiser (NAdam) and target function"
EXPECTED = "healthy"
WHY = "train, train-dev and dev MSE all within ~5 % of the noise variance 0.25: the excess is immaterial"


def sample(n, rng, noise=0.5):
    x = rng.uniform(-2, 2, (n, 4))
    y = 2 * np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2 - x[:, 2] + 0.5 * x[:, 3]
    return x.astype(np.float32), (y + noise * rng.standard_normal(n)).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.regressor([4, 64, 64, 1]),
    data=lambda seed: clinic.splits(sample, seed, 8000, 2000, 2000),
    task="regression",
    bayes_error=0.25,
    optimizer="nadam",
    lr=2e-3,
    scheduler="cosine",
    batch_size=128,
    epochs=40,
)
recipe = dd.Recipe(name="h2-healthy-regression-nadam", **SETUP)
