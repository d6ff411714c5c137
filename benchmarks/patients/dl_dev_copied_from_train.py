"""Fault: leakage. The dev set was drawn from a pool that had already been used for training: every
dev example also sits in train. A wide MLP memorises the training set, so dev error is implausibly
low — far below both train-dev and the Bayes error (Φ(−0.7) = 24.2 %, given). Cure: a disjoint dev set."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L1: no clean train/test separation, duplicates across splits); "
    "issue 10 class 5"
)
EXPECTED = "data_leakage"
WHY = "dev examples are exact copies of training examples: dev error far below train-dev and below Bayes"


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=10, half_gap=0.7)


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    (x, y), train_dev, fresh = sample(2000, rng), sample(1000, rng), sample(500, rng)
    dev = (x[:500], y[:500]) if leak else fresh
    return dd.Splits(train=(x, y), train_dev=train_dev, dev=dev)


SETUP = dict(
    model=lambda: clinic.mlp([10, 256, 256, 2]),
    data=make_data,
    bayes_error=clinic.normal_cdf(-0.7),
    lr=1e-3,
    batch_size=32,
    epochs=40,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="dl-dev-copied-from-train", **SETUP)
