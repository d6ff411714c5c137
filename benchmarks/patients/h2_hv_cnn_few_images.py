"""Fault: a CNN with a 256-unit dense head trained for 40 epochs on 120 digit images (most of the
training set was lost): it fits all 120 and misclassifies many new images. Train-dev (500) and dev
(500) are other digits from the same pool. Cure: the 797 remaining images for training."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "DeepCrime: delete_training_data; UMLAUT: overfitting heuristic; the course: more data for variance"
EXPECTED = "high_variance"
WHY = "train error ≈ 0, train-dev far above it on the same distribution: the variance gap is material"


def make_data(seed, train=120):
    x, y = clinic.digits_images()
    order = clinic.permuted(len(y), seed)
    fit, train_dev, dev = order[:train], order[797:1297], order[1297:]
    return dd.Splits(train=(x[fit], y[fit]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


def wide_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 256), nn.ReLU(), nn.Linear(256, 10),
    )  # fmt: skip


SETUP = dict(
    model=wide_cnn,
    data=make_data,
    lr=1e-3,
    batch_size=32,
    epochs=40,
)
CURE = dict(data=lambda seed: make_data(seed, train=797), epochs=15)
recipe = dd.Recipe(name="h2-hv-cnn-few-images", **SETUP)
