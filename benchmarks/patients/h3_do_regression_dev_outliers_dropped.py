"""Fault: dev overfitting by removing "outliers" from the dev set only (regression). y is a smooth
function of 4 inputs plus heavy-tailed noise (Student-t, 3 degrees of freedom, scale 0.5: noise
variance 0.75, the Bayes MSE, not given). The team fitted a baseline on train and dropped every dev
row whose residual exceeded twice the baseline's RMSE, calling them sensor glitches. The remaining
dev rows are the ones any model predicts well, so the dev MSE is a fraction of what the 2,000
untouched test rows from the same distribution show. Cure: keep the dev set as drawn."""

import clinic
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

import dldoctor as dd

SOURCE = (
    "Ng's course: treat dev and test alike (cleaning one but not the other); Kapoor & Narayanan: "
    "evaluation data altered using a model's outputs"
)
EXPECTED = "dev_overfit"
WHY = (
    "dev and test share a distribution, yet dev MSE is far below test: dev rows were dropped by a model's fit"
)

TRUE_BAYES = 0.25 * 3


def sample(n, rng):
    x = rng.uniform(-2, 2, (n, 4))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] - 0.5 * x[:, 3] + 0.5 * rng.standard_t(3, n)
    return x.astype(np.float32), y.astype(np.float32)


def make_data(seed, prune=True):
    rng = np.random.default_rng(seed)
    train, train_dev, test = sample(5000, rng), sample(1500, rng), sample(2000, rng)
    dx, dy = sample(1500, rng)
    if prune:
        baseline = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(*train)
        residual = np.abs(baseline.predict(dx) - dy)
        keep = residual < 2 * np.sqrt(np.mean((baseline.predict(train[0]) - train[1]) ** 2))
        dx, dy = dx[keep], dy[keep]
    return dd.Splits(train=train, train_dev=train_dev, dev=(dx, dy), test=test)


SETUP = dict(
    model=lambda: clinic.regressor([4, 64, 64, 1]),
    data=make_data,
    task="regression",
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(data=lambda seed: make_data(seed, prune=False))
recipe = dd.Recipe(name="h3-do-regression-dev-outliers-dropped", **SETUP)
