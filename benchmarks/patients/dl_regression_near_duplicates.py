"""Fault (regression): near-duplicate leakage. The dev set is 500 training rows re-measured with a
tiny input jitter (the same units logged twice), so a network that has fitted its training rows
closely scores a dev MSE far below held-out data. Friedman #1 with 15 inputs, 1,000 training rows,
Bayes MSE 1.0 (given). Cure: a dev set of new rows."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Kapoor & Narayanan leakage taxonomy (L1.4: duplicates across train and test); issue 10 class 5"
EXPECTED = "data_leakage"
WHY = "dev inputs are near-copies of training inputs: dev MSE far below train-dev MSE, near the train MSE"


def sample(n, rng):
    return clinic.friedman(n, rng, extra=10)


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    (x, y), train_dev, fresh = sample(1000, rng), sample(1000, rng), sample(500, rng)
    copies = (x[:500] + 0.002 * rng.standard_normal((500, x.shape[1]))).astype(np.float32), y[:500]
    return dd.Splits(train=(x, y), train_dev=train_dev, dev=copies if leak else fresh)


SETUP = dict(
    model=lambda: clinic.regressor([15, 256, 256, 1]),
    data=make_data,
    task="regression",
    bayes_error=1.0,
    lr=1e-3,
    batch_size=32,
    epochs=50,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="dl-regression-near-duplicates", **SETUP)
