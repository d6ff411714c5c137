"""Healthy control (regression, RMSprop, step schedule, known noise): five Gaussian inputs,
y = x₀·x₁ + sin(2x₂) + 0.5·x₃ − 0.3·x₄ plus Gaussian noise σ = 0.4 (Bayes MSE 0.16, given); 12,000
training rows and a 64-64 MLP, lr ×0.1 after each third of training."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: smooth regression with an interaction term, RMSprop + step decay"
EXPECTED = "healthy"
WHY = "every split's MSE sits a little above the 0.16 noise floor, with no material gap"

TRUE_BAYES = 0.16


def sample(n, rng):
    x = rng.standard_normal((n, 5))
    y = x[:, 0] * x[:, 1] + np.sin(2 * x[:, 2]) + 0.5 * x[:, 3] - 0.3 * x[:, 4]
    return x.astype(np.float32), (y + 0.4 * rng.standard_normal(n)).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.regressor([5, 64, 64, 1]),
    data=lambda seed: clinic.splits(sample, seed, 12000, 1500, 1500),
    task="regression",
    bayes_error=TRUE_BAYES,
    optimizer="rmsprop",
    lr=3e-3,
    beta=0.0,
    scheduler="step",
    batch_size=64,
    epochs=24,
)
REFERENCE = dict(model=lambda: clinic.regressor([5, 128, 128, 1]), epochs=48)
recipe = dd.Recipe(name="h4-healthy-regression-rmsprop-step", **SETUP)
