"""Fault: an augmentation (extra Gaussian input noise, σ = 1) applied to the training set only, once,
when the data set is built — the dev examples are left clean. Train and the train-dev split carved
from it come from the noisy distribution, dev from the clean one, so dev is much *easier* than
train-dev. Three Gaussian classes in 8-D, 8,000 training examples, a small MLP (little variance).
Cure: the same preprocessing for every split."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "DeepCrime: add_noise (to training data); UMLAUT: preprocessing applied to one split only"
EXPECTED = "data_mismatch"
WHY = "train-dev and dev come from different distributions (dev far easier): mismatch, other direction"

CENTRES = 3.2 * np.eye(3, 8)


def sample(n, rng, extra_noise=0.0):
    x, y = clinic.blobs(n, rng, CENTRES, np.arange(3))
    return (x + extra_noise * rng.standard_normal(x.shape)).astype(np.float32), y


def make_data(seed, augment_train=True):
    rng = np.random.default_rng(seed)
    train = sample(8000, rng, extra_noise=1.0 if augment_train else 0.0)
    return dd.Splits(train=train, dev=sample(2000, rng))


SETUP = dict(
    model=lambda: clinic.mlp([8, 16, 3]),
    data=make_data,
    lr=3e-3,
    weight_decay=1e-4,
    batch_size=128,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, augment_train=False))
recipe = dd.Recipe(name="dm-noise-augmentation-train-only", **SETUP)
