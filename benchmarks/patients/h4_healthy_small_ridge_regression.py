"""Healthy control (small data, regression, a linear model): 150 training rows of 8 Gaussian
inputs, y linear in them plus noise σ = 0.5 (Bayes MSE 0.25, given), a single Linear layer with a
little weight decay and a cosine schedule. With 8 weights and 150 rows the fit's excess MSE is
about σ²·8/150 ≈ 0.013: small data, yet the right model leaves almost nothing to gain.
Train-dev and dev: 1,000 rows each."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: small tabular regression with the right (linear) model, Adam + weight decay"
EXPECTED = "healthy"
WHY = "every split's MSE ≈ 0.25 within the ±0.011 sampling noise of 1,000 rows: no gap, no avoidable bias"

TRUE_BAYES = 0.25
WEIGHTS = np.array([1.5, -1.0, 0.8, 0.5, -0.4, 0.3, 0.2, -0.1])


def sample(n, rng):
    x = rng.standard_normal((n, 8))
    return x.astype(np.float32), (x @ WEIGHTS + 0.5 * rng.standard_normal(n)).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.regressor([8, 1]),
    data=lambda seed: clinic.splits(sample, seed, 150, 1000, 1000),
    task="regression",
    bayes_error=TRUE_BAYES,
    lr=1e-2,
    weight_decay=1e-3,
    scheduler="cosine",
    batch_size=16,
    epochs=60,
)
REFERENCE = dict(epochs=120)
recipe = dd.Recipe(name="h4-healthy-small-ridge-regression", **SETUP)
