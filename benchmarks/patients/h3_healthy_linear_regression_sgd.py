"""Healthy control (regression, a linear model, plain SGD + cosine, known noise): scikit-learn's
make_regression with 20 features of which 8 are informative and Gaussian noise σ = 10, 5,000 rows
per seed, targets recorded in hundreds (y / 100, standard deviation ≈ 1.6), so the Bayes MSE is
(10 / 100)² = 0.01, given. A linear model is the right model; the fit only has to converge."""

import clinic
import numpy as np
from sklearn.datasets import make_regression

import dldoctor as dd

SOURCE = "control: scikit-learn make_regression (linear truth), a linear model with SGD + cosine"
EXPECTED = "healthy"
WHY = "a linear model on linear data with many rows: every split's MSE sits at the noise floor"

TRUE_BAYES = 0.01


def make_data(seed):
    x, y = make_regression(n_samples=5000, n_features=20, n_informative=8, noise=10.0, random_state=seed)
    y = (y / 100).astype(np.float32)
    x = x.astype(np.float32)
    return dd.Splits(
        train=(x[:3000], y[:3000]), train_dev=(x[3000:4000], y[3000:4000]), dev=(x[4000:], y[4000:])
    )


SETUP = dict(
    model=lambda: clinic.regressor([20, 1]),
    data=make_data,
    task="regression",
    bayes_error=TRUE_BAYES,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    scheduler="cosine",
    batch_size=32,
    epochs=15,
)
recipe = dd.Recipe(name="h3-healthy-linear-regression-sgd", **SETUP)
