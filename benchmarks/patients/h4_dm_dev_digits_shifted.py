"""Fault: the dev images are framed differently. Digits (scikit-learn's 8×8 images) for train and
train-dev as they are; the 500 dev digits were cropped by a new scanner that places each digit one
pixel further right (the image shifted right by 1, the vacated column blank). An MLP on raw
pixels ties each weight to one position, so many shifted digits are read wrongly.
Cure: dev framed like train."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch (dev from a different capture set-up); DeepCrime / DeepHunter-style "
    "image translation; TheDeepChecker: input distribution differs"
)
EXPECTED = "data_mismatch"
WHY = "train-dev error ≈ that of unshifted digits, dev error tens of points above it: dev differs from train"


def shifted_right(x, pixels=1):
    moved = np.zeros_like(x)
    moved[..., pixels:] = x[..., :-pixels]
    return moved


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 10]),
    data=lambda seed: clinic.digits_with_train_dev(seed, shifted_right),
    lr=3e-3,
    weight_decay=1e-4,
    batch_size=32,
    epochs=20,
)
CURE = dict(data=clinic.digits_with_train_dev)
recipe = dd.Recipe(name="h4-dm-dev-digits-shifted", **SETUP)
