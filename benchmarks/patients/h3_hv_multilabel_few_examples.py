"""Fault: high variance on a multilabel task. Five labels, each a half-space rule in 20-D Gaussian
inputs with 10 % of labels flipped (per-label Bayes error 10 %, not given), but only 150 training
rows for a 256-256 MLP trained 60 epochs without regularisation. It memorises every flipped label
(train error 0) while new rows — train-dev and dev, 1,000 each — are far worse. Cure: 5,000 rows
and a network sized to them (64 units)."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Ng's course: high variance — more data; DeepCrime: change training data size (reduced data)"
EXPECTED = "high_variance"
WHY = "train per-label error 0, far under the 10 % floor; train-dev ≈ dev far above it: memorisation"

TRUE_BAYES = 0.10
NORMALS = np.random.default_rng(4321).standard_normal((20, 5))


def sample(n, rng):
    x = rng.standard_normal((n, 20)).astype(np.float32)
    y = (x @ NORMALS > 0).astype(np.float32)
    flip = rng.random(y.shape) < TRUE_BAYES
    return x, np.where(flip, 1 - y, y).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.mlp([20, 256, 256, 5]),
    data=lambda seed: clinic.splits(sample, seed, 150, 1000, 1000),
    task="multilabel",
    lr=1e-3,
    batch_size=32,
    epochs=60,
)
CURE = dict(
    model=lambda: clinic.mlp([20, 64, 5]),
    data=lambda seed: clinic.splits(sample, seed, 5000, 1000, 1000),
    epochs=15,
)
recipe = dd.Recipe(name="h3-hv-multilabel-few-examples", **SETUP)
