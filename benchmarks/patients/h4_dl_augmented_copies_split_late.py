"""Fault: leakage through augmentation before the split. 1,500 labelled examples of two
overlapping classes in 12-D (Bayes error Φ(−0.75) ≈ 23 %, not given) were each augmented into 5
copies with a small jitter (σ = 0.05), and the 7,500 rows were then shuffled and split into train
and dev — so nearly every dev row has four near-twins with the same label in train. A 256-256 MLP
fitted closely to its training rows scores dev far better than any model can on new examples.
Train-dev is 1,000 other originals, augmented on their own as deployment data would not share
examples. Cure: split the originals first, then augment each part."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L1.2: pre-processing — augmentation — before the split); "
    "DEFault: data-split fault"
)
EXPECTED = "data_leakage"
WHY = "dev rows have jittered twins in train: dev error far below the clean train-dev and the ~23 % floor"

COPIES = 5
TRUE_BAYES = clinic.normal_cdf(-0.75)


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=12, half_gap=0.75)


def augmented(x, y, rng):
    x = np.repeat(x, COPIES, 0) + 0.05 * rng.standard_normal((len(x) * COPIES, x.shape[1]))
    return x.astype(np.float32), np.repeat(y, COPIES)


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    (x, y), train_dev = sample(1500, rng), augmented(*sample(1000, rng), rng)
    if leak:
        ax, ay = augmented(x, y, rng)
        order = rng.permutation(len(ay))
        fit, held = order[1500:], order[:1500]
        return dd.Splits(train=(ax[fit], ay[fit]), train_dev=train_dev, dev=(ax[held], ay[held]))
    return dd.Splits(
        train=augmented(x[300:], y[300:], rng), train_dev=train_dev, dev=augmented(x[:300], y[:300], rng)
    )


SETUP = dict(
    model=lambda: clinic.mlp([12, 256, 256, 2]),
    data=make_data,
    lr=1e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="h4-dl-augmented-copies-split-late", **SETUP)
