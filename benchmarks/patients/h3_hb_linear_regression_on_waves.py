"""Fault: too little capacity for a regression. The target is a wave in two inputs,
y = sin(3x₀) + 0.5·cos(2x₁) on [−2, 2]², plus noise of σ = 0.3 (Bayes MSE 0.09, given), and the
model is a single linear layer: the best straight plane leaves most of the wave's variance
unexplained on the training set itself. Cure: a 64-64 MLP."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Ng's course: high bias — a bigger network; DeepFD / DEFault: model capacity (layer) fault"
EXPECTED = "high_bias"
WHY = "train MSE is many times the 0.09 noise floor and dev MSE equals it: the model cannot fit the curve"

TRUE_BAYES = 0.09


def sample(n, rng):
    x = rng.uniform(-2, 2, (n, 2))
    y = np.sin(3 * x[:, 0]) + 0.5 * np.cos(2 * x[:, 1]) + 0.3 * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


SETUP = dict(
    model=lambda: clinic.regressor([2, 1]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 1500, 1500),
    task="regression",
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: clinic.regressor([2, 64, 64, 1]))
recipe = dd.Recipe(name="h3-hb-linear-regression-on-waves", **SETUP)
