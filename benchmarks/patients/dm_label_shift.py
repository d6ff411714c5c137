"""Fault: label (prior) shift. The training set was collected with class 0 making up 90 % of
examples; the dev set is balanced over the three classes. Classes overlap, so a model calibrated
to the training priors errs on the rarer classes that dev has more of. Cure: balanced training data."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "DeepCrime: unbalance_train_data; DEFault: training-data fault (class imbalance)"
EXPECTED = "data_mismatch"
WHY = "train-dev follows the skewed training priors, dev the balanced ones: a distribution gap"

CENTRES = 1.6 * np.eye(3, 4)


def sample(n, rng, priors=(1 / 3, 1 / 3, 1 / 3)):
    y = rng.choice(3, size=n, p=priors)
    return (CENTRES[y] + rng.standard_normal((n, 4))).astype(np.float32), y


def make_data(seed, priors=(0.9, 0.05, 0.05)):
    rng = np.random.default_rng(seed)
    return dd.Splits(
        train=sample(4000, rng, priors), train_dev=sample(1500, rng, priors), dev=sample(1500, rng)
    )


SETUP = dict(
    model=lambda: clinic.mlp([4, 32, 3]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, priors=(1 / 3, 1 / 3, 1 / 3)))
recipe = dd.Recipe(name="dm-label-shift", **SETUP)
