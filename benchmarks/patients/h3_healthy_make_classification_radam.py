"""Healthy control (RAdam, scikit-learn's own generator, Bayes estimated): make_classification with
20 features (6 informative, 4 redundant), three classes of two clusters each, class separation 2
and 3 % of labels re-drawn at random — a fresh problem per seed, 10,000 rows split 6,000 / 2,000 /
2,000. A 128-unit MLP with a little weight decay; the floor is the re-drawn labels plus overlap."""

import clinic
import numpy as np
from sklearn.datasets import make_classification

import dldoctor as dd

SOURCE = "control: scikit-learn make_classification (Guyon's Madelon design), RAdam"
EXPECTED = "healthy"
WHY = (
    "train ≈ train-dev ≈ dev, a wider and longer-trained reference does no better: nothing avoidable is left"
)


def make_data(seed):
    x, y = make_classification(
        n_samples=10_000,
        n_features=20,
        n_informative=6,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=2.0,
        flip_y=0.03,
        random_state=seed,
    )
    x = x.astype(np.float32)
    return dd.Splits(
        train=(x[:6000], y[:6000]), train_dev=(x[6000:8000], y[6000:8000]), dev=(x[8000:], y[8000:])
    )


SETUP = dict(
    model=lambda: clinic.mlp([20, 128, 3]),
    data=make_data,
    optimizer="radam",
    lr=3e-3,
    weight_decay=1e-4,
    batch_size=64,
    epochs=20,
)
REFERENCE = dict(model=lambda: clinic.mlp([20, 256, 256, 3]), epochs=40)
recipe = dd.Recipe(name="h3-healthy-make-classification-radam", **SETUP)
