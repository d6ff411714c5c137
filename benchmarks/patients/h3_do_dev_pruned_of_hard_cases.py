"""Fault: dev overfitting by "cleaning" only the dev set. Two overlapping Gaussian classes in 10-D
(Bayes error Φ(−0.8) = 21 %, not given). The team drew 800 dev examples, then removed as "probable
label errors" every one its logistic-regression baseline (fitted on train) misclassified — about a
fifth of them. What is left is the easy side of each class: the dev score now mostly reflects that
selection. A test set of 2,000 from the same distribution, left uncleaned, shows the true error.
Cure: keep the dev set as drawn."""

import clinic
import numpy as np
from sklearn.linear_model import LogisticRegression

import dldoctor as dd

SOURCE = (
    "Ng's course: apply label cleaning to dev and test alike, and never select the dev set by a model's "
    "score; Kapoor & Narayanan: evaluation set altered using model outputs"
)
EXPECTED = "dev_overfit"
WHY = "dev and test share a distribution, yet dev error is far below test: dev was pruned by a model's score"

TRUE_BAYES = clinic.normal_cdf(-0.8)


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=10, half_gap=0.8)


def make_data(seed, prune=True):
    rng = np.random.default_rng(seed)
    train, train_dev, test = sample(4000, rng), sample(1000, rng), sample(2000, rng)
    dx, dy = sample(800, rng)
    if prune:
        baseline = LogisticRegression().fit(*train)
        keep = baseline.predict(dx) == dy
        dx, dy = dx[keep], dy[keep]
    return dd.Splits(train=train, train_dev=train_dev, dev=(dx, dy), test=test)


SETUP = dict(
    model=lambda: clinic.mlp([10, 32, 2]),
    data=make_data,
    lr=3e-3,
    weight_decay=1e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, prune=False))
recipe = dd.Recipe(name="h3-do-dev-pruned-of-hard-cases", **SETUP)
