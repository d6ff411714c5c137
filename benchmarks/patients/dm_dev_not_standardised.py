"""Fault: the breast-cancer features are standardised for training (train and the train-dev split
carved from it), but the dev set is fed raw — the scaler was never applied to it. Small data:
369 train, 100 train-dev, 100 dev. Cure: standardise dev with the training statistics."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "TheDeepChecker / UMLAUT: data preprocessing fault (normalisation missing on one split)"
EXPECTED = "data_mismatch"
WHY = "dev inputs come from a different (unscaled) distribution than train-dev: dev error far above train-dev"


def make_data(seed, scale_dev=False):
    x, y = clinic.breast_cancer_raw()
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:369], order[369:469], order[469:]
    scaled = clinic.standardised(x, x[train])
    dev_x = scaled[dev] if scale_dev else x[dev]
    return dd.Splits(train=(scaled[train], y[train]), train_dev=(scaled[train_dev], y[train_dev]),
                     dev=(np.asarray(dev_x), y[dev]))  # fmt: skip


SETUP = dict(
    model=lambda: clinic.mlp([30, 32, 2]),
    data=make_data,
    lr=1e-3,
    weight_decay=1e-3,
    batch_size=32,
    epochs=30,
)
CURE = dict(data=lambda seed: make_data(seed, scale_dev=True))
recipe = dd.Recipe(name="dm-dev-not-standardised", **SETUP)
