"""Fault (regression): the dev targets come from a second lab whose instrument reads 1.3× the first
lab's value plus an offset of 1.0 (a calibration / unit difference nobody corrected). Inputs follow
the same distribution; train and train-dev are first-lab rows, dev second-lab rows. A regression
MLP that fits the first lab closely is far off on dev. Cure: dev measured like the training data."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "DEFault / DeepFD: data fault (inconsistent target preprocessing / units between training and evaluation)"
)
EXPECTED = "data_mismatch"
WHY = "train-dev MSE is near the noise floor, dev MSE far above it: dev targets follow a different relation"


def make_data(seed, second_lab=True):
    rng = np.random.default_rng(seed)
    train, train_dev, (x, y) = (clinic.smooth_regression(n, rng) for n in (5000, 1500, 1500))
    dev_y = (1.3 * y + 1.0).astype(np.float32) if second_lab else y
    return dd.Splits(train=train, train_dev=train_dev, dev=(x, dev_y))


SETUP = dict(
    model=lambda: clinic.regressor([6, 64, 64, 1]),
    data=make_data,
    task="regression",
    lr=3e-3,
    batch_size=128,
    epochs=30,
)
CURE = dict(data=lambda seed: make_data(seed, second_lab=False))
recipe = dd.Recipe(name="h2-dm-regression-dev-units", **SETUP)
