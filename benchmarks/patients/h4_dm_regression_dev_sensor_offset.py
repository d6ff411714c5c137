"""Fault (regression): a miscalibrated sensor at the dev site. Four sensor readings (uniform on
[−2, 2]), y = sin(1.5x₀) + x₁·x₂/2 + x₃/2 plus noise σ = 0.3 (Bayes MSE 0.09, given). At the site
the dev rows come from, sensor 0 reads 0.8 too high; the target is still the function of the true
reading. Train and train-dev come from the calibrated sites. The model maps the biased reading to
the wrong part of the sine. Cure: dev from a calibrated sensor."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch; dataset-shift literature: covariate shift through a measurement "
    "offset; TheDeepChecker: inconsistent input pre-processing between splits"
)
EXPECTED = "data_mismatch"
WHY = "train ≈ train-dev near the 0.09 floor, dev MSE several times higher: dev inputs are offset"

TRUE_BAYES = 0.09


def sample(n, rng, offset=0.0):
    x = rng.uniform(-2, 2, (n, 4))
    y = np.sin(1.5 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + 0.5 * x[:, 3] + 0.3 * rng.standard_normal(n)
    x[:, 0] += offset
    return x.astype(np.float32), y.astype(np.float32)


def make_data(seed, offset=0.8):
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(6000, rng), train_dev=sample(1500, rng), dev=sample(1500, rng, offset))


SETUP = dict(
    model=lambda: clinic.regressor([4, 64, 64, 1]),
    data=make_data,
    task="regression",
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(data=lambda seed: make_data(seed, offset=0.0))
recipe = dd.Recipe(name="h4-dm-regression-dev-sensor-offset", **SETUP)
