"""Fault: too little capacity on a multilabel task. Three yes/no labels, label k is the XOR of the
signs of inputs 2k and 2k+1 (8-D Gaussian inputs), with 5 % of each label flipped (per-label Bayes
error 5 %, not given). The model is one linear layer with a logit per label: no plane separates an
XOR, so each label sits near chance on the training set. Cure: a 64-64 MLP."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Ng's course: high bias (bigger network); DeepFD: model capacity fault (too few layers/units)"
EXPECTED = "high_bias"
WHY = "per-label train error near 50 % against a 5 % Bayes error, with no train/dev gap: underfitting"

TRUE_BAYES = 0.05


def sample(n, rng):
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = np.stack([(x[:, 2 * k] > 0) ^ (x[:, 2 * k + 1] > 0) for k in range(3)], 1).astype(np.float32)
    flip = rng.random(y.shape) < TRUE_BAYES
    return x, np.where(flip, 1 - y, y).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.mlp([8, 3]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 1500, 1500),
    task="multilabel",
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: clinic.mlp([8, 64, 64, 3]))
recipe = dd.Recipe(name="h3-hb-multilabel-xor-linear", **SETUP)
