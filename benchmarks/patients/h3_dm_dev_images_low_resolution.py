"""Fault: the dev images come from a lower-resolution camera. Digits (scikit-learn's 8×8 images) for
train and train-dev as they are; the 500 dev images were captured at 4×4 and upsampled back to 8×8
(each 2×2 block replaced by its mean), as when a deployment device has a coarser sensor. A small CNN
trained on the sharp images reads many blurred digits wrongly. Cure: dev at full resolution."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch (e.g. web photos for training, phone photos in deployment); "
    "DeepCrime-style image corruption; TheDeepChecker: input distribution differs"
)
EXPECTED = "data_mismatch"
WHY = "train-dev error matches train-dev of sharp images, dev error far above it: dev differs from train"


def block_mean(x):
    """Average each 2×2 block and repeat it: 8×8 images at 4×4 resolution."""
    n = len(x)
    coarse = x.reshape(n, 1, 4, 2, 4, 2).mean(axis=(3, 5))
    return np.repeat(np.repeat(coarse, 2, axis=2), 2, axis=3).astype(np.float32)


def make_data(seed, coarse=True):
    x, y = clinic.digits_images()
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:1000], order[1000:1297], order[1297:]
    dev_x = block_mean(x[dev]) if coarse else x[dev]
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(dev_x, y[dev]))


SETUP = dict(
    model=lambda: clinic.small_cnn(10),
    data=make_data,
    lr=3e-3,
    batch_size=32,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, coarse=False))
recipe = dd.Recipe(name="h3-dm-dev-images-low-resolution", **SETUP)
