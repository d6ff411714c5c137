"""Fault (mismatch, dev easier): the training labels come from a cheap crowd-sourcing pass in which
30 % of labels were wrong (uniformly another class), the dev labels from experts. Four Gaussian
classes in 16-D (clean Bayes error ≈ 5 %), 6,000 training rows, train-dev carved from train. The
model learns the right boundary but is measured against noisy labels on train and train-dev, and
against clean ones on dev: dev is far easier than train-dev. Cure: expert labels for training too."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "DeepCrime: change_label (training labels only); Ng's course: training data from a different source "
    "than dev"
)
EXPECTED = "data_mismatch"
WHY = (
    "train-dev and dev differ in their label distribution: dev error far below train-dev (mismatch, the "
    "other direction)"
)


def make_data(seed, crowd=True):
    rng = np.random.default_rng(seed)
    x, y = clinic.four_blobs(6000, rng)
    train = (x, clinic.flip_labels(y, 0.3, 4, rng) if crowd else y)
    return dd.Splits(train=train, dev=clinic.four_blobs(2000, rng))


SETUP = dict(
    model=lambda: clinic.mlp([16, 32, 4]),
    data=make_data,
    lr=3e-3,
    weight_decay=1e-4,
    batch_size=128,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, crowd=False))
recipe = dd.Recipe(name="h2-dm-crowd-labels-train-expert-dev", **SETUP)
