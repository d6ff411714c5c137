"""Fault: covariate shift. Training moons come from one sensor; the dev moons are rotated 35° and
shifted, as from a sensor mounted differently. The labelling rule is the same object, but where the
inputs now fall the learnt boundary is wrong. Cure: train on data from the dev distribution."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "DEFault / DeepFD: training-data fault (training data unrepresentative of deployment data)"
EXPECTED = "data_mismatch"
WHY = "train-dev error is low, dev error high on inputs drawn from a different distribution"


def rotated(x, degrees=35.0, shift=(0.3, -0.2)):
    t = np.deg2rad(degrees)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return (x @ rot.T + np.array(shift)).astype(np.float32)


def make_data(seed, shifted=True):
    rng = np.random.default_rng(seed)
    dev_x, dev_y = clinic.moons(1000, rng)
    return dd.Splits(train=clinic.moons(4000, rng), train_dev=clinic.moons(1000, rng),
                     dev=(rotated(dev_x) if shifted else dev_x, dev_y))  # fmt: skip


SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, shifted=False))
recipe = dd.Recipe(name="dm-covariate-shift", **SETUP)
