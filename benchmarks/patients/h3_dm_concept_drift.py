"""Fault: the dev set comes from a changed labelling rule (concept drift, P(y | x) shift). The inputs
are the same 2-D Gaussian cloud everywhere, but the dev data were labelled a year later under a
revised policy whose decision boundary is rotated by 40° from the one the training labels follow;
both rules carry 5 % label noise (Bayes error 5 % under either rule, not given). Train and train-dev
follow the old rule. Cure: dev labelled under the training rule."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch (dev/test from the distribution you care about, train from another); "
    "dataset-shift literature (Moreno-Torres et al.): concept shift"
)
EXPECTED = "data_mismatch"
WHY = "train ≈ train-dev ≈ 5 %, dev far above: the labelling rule differs between train and dev"

TRUE_BAYES = 0.05


def sample(n, rng, degrees=0.0):
    x = rng.standard_normal((n, 2)).astype(np.float32)
    angle = np.deg2rad(degrees)
    y = (x @ np.array([np.cos(angle), np.sin(angle)]) > 0).astype(np.int64)
    return x, clinic.flip_labels(y, TRUE_BAYES, 2, rng)


def make_data(seed, drift=40.0):
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(5000, rng), train_dev=sample(1500, rng), dev=sample(1500, rng, drift))


SETUP = dict(
    model=lambda: clinic.mlp([2, 32, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, drift=0.0))
recipe = dd.Recipe(name="h3-dm-concept-drift", **SETUP)
