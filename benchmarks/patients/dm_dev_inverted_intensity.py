"""Fault: the dev digits were exported with inverted intensities (1 − x: dark strokes on a light
background), unlike the training images — a preprocessing step that differs between the training
pipeline and the evaluation one. Cure: the same export for both."""

import clinic

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: data-preprocessing fault (inconsistent preprocessing between training and evaluation)"
)
EXPECTED = "data_mismatch"
WHY = "dev inputs come from a different distribution than train-dev: dev error far above train-dev"


def make_data(seed):
    splits = clinic.digits_splits(seed)
    x, y = splits.dev
    return dd.Splits(train=splits.train, dev=(1.0 - x, y))


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=make_data,
    lr=1e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(data=clinic.digits_splits)
recipe = dd.Recipe(name="dm-dev-inverted-intensity", **SETUP)
