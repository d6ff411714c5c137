"""Fault: dev labels "corrected" by a model. Two overlapping Gaussian classes in 8-D (Bayes error
Φ(−0.9) ≈ 18 %, not given). The annotators disagreed on half of the 1,000 dev examples — those
were settled by the team's logistic-regression baseline (fitted on train), whose prediction became
the label. On those rows the dev label now agrees with what any model trained on train predicts,
so the dev error falls far below the 2,000 test examples from the same distribution, labelled the
ordinary way. Cure: dev labelled like test."""

import clinic
import numpy as np
from sklearn.linear_model import LogisticRegression

import dldoctor as dd

SOURCE = (
    "Ng's course: dev and test must be labelled alike; Kapoor & Narayanan: evaluation labels "
    "derived from a model's outputs"
)
EXPECTED = "dev_overfit"
WHY = "dev and test share a distribution, yet dev error is far below test: dev labels came from a model"

TRUE_BAYES = clinic.normal_cdf(-0.9)


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=8, half_gap=0.9)


def make_data(seed, relabel=True):
    rng = np.random.default_rng(seed)
    train, train_dev, test = sample(4000, rng), sample(1000, rng), sample(2000, rng)
    dx, dy = sample(1000, rng)
    if relabel:
        settled = rng.random(len(dy)) < 0.5
        dy = np.where(settled, LogisticRegression().fit(*train).predict(dx), dy)
    return dd.Splits(train=train, train_dev=train_dev, dev=(dx, dy), test=test)


SETUP = dict(
    model=lambda: clinic.mlp([8, 32, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, relabel=False))
recipe = dd.Recipe(name="h4-do-dev-relabelled-by-model", **SETUP)
