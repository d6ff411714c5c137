"""Fault (regression): Friedman #1 with 45 irrelevant inputs (50 in all), 300 training examples, a
256-256 MLP with no regularisation: it fits the noise features. Bayes MSE 1.0 (given).
Cure: 4,000 training examples."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: delete_training_data on a regression subject; UMLAUT: overfitting heuristic"
EXPECTED = "high_variance"
WHY = "train MSE near or below the noise variance, train-dev MSE several times it: variance"


def sample(n, rng):
    return clinic.friedman(n, rng, extra=45)


SETUP = dict(
    model=lambda: clinic.regressor([50, 256, 256, 1]),
    data=lambda seed: clinic.splits(sample, seed, 300, 1000, 1000),
    task="regression",
    bayes_error=1.0,
    lr=3e-3,
    batch_size=16,
    epochs=60,
)
CURE = dict(data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000))
recipe = dd.Recipe(name="hv-regression-noise-features", **SETUP)
