"""Fault: different preprocessing for dev — a schema change. Ten tabular measurements with
different roles (the two classes differ by 1.2, 0.9, −0.8 and 0.6 standard deviations on the first
four; the rest are noise). The dev extract comes from a new export whose first four columns arrive
in the order 2, 3, 0, 1 (two pairs exchanged); train and train-dev come from the old export. Bayes
error Φ(−0.90) ≈ 18.4 % (closed form below, not given).
Cure: the dev extract in the training column order."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch (dev from a different pipeline); DEFault / TheDeepChecker: data "
    "preprocessing fault (inconsistent preprocessing between splits)"
)
EXPECTED = "data_mismatch"
WHY = "train ≈ train-dev ≈ the Bayes error, dev far above both: the dev inputs are not what train was"

SHIFTS = np.array([1.2, 0.9, -0.8, 0.6, 0, 0, 0, 0, 0, 0])
TRUE_BAYES = clinic.normal_cdf(-float(np.linalg.norm(SHIFTS)) / 2)
NEW_EXPORT = [2, 3, 0, 1, 4, 5, 6, 7, 8, 9]


def sample(n, rng):
    y = rng.integers(0, 2, size=n)
    x = rng.standard_normal((n, 10)) + np.where(y == 1, 0.5, -0.5)[:, None] * SHIFTS
    return x.astype(np.float32), y


def make_data(seed, swapped=True):
    s = clinic.splits(sample, seed, 5000, 1500, 1500)
    x, y = s.dev
    dev = (np.ascontiguousarray(x[:, NEW_EXPORT]), y) if swapped else s.dev
    return dd.Splits(train=s.train, train_dev=s.train_dev, dev=dev)


SETUP = dict(
    model=lambda: clinic.mlp([10, 32, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, swapped=False))
recipe = dd.Recipe(name="h3-dm-dev-columns-swapped", **SETUP)
