"""Fault: an augmentation (extra Gaussian pixel noise) applied to the training images only, once, when
the data set is built — the dev images are left clean. Train and the train-dev split carved from it
come from the noisy distribution, dev from the clean one, so dev is much *easier* than train-dev.
Bar images, 5,000 training examples, a small CNN. Cure: the same preprocessing for every split."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "DeepCrime: add_noise (to training data); UMLAUT: preprocessing applied to one split only"
EXPECTED = "data_mismatch"
WHY = (
    "train-dev and dev come from different distributions (dev far easier): a mismatch in the other direction"
)


def heavy_noise(n, rng):
    return clinic.bar_images(n, rng, noise=0.65)


def make_data(seed, augment_train=True):
    rng = np.random.default_rng(seed)
    train = heavy_noise(5000, rng) if augment_train else clinic.bar_images(5000, rng)
    return dd.Splits(train=train, dev=clinic.bar_images(1500, rng))


SETUP = dict(
    model=lambda: clinic.small_cnn(3),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    weight_decay=3e-3,
    epochs=8,
)
CURE = dict(data=lambda seed: make_data(seed, augment_train=False))
recipe = dd.Recipe(name="dm-noise-augmentation-train-only", **SETUP)
