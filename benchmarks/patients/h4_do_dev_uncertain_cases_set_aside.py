"""Fault: dev examples the baseline was unsure of were set aside "for expert review" and never
returned. Three Gaussian classes in 6-D on a line (centres −2.5, 0, 2.5 on the first axis), Bayes
error (4/3)·Φ(−1.25) ≈ 14 % (closed form, given). The team's nearest-centroid baseline (fitted on
train) scored the 1,200 drawn dev examples and every one whose distance to the second-nearest
centroid exceeded the nearest by less than 1.0 was held back — the hard cases of all three classes.
The remaining dev set is easy; the 2,000 untouched test examples show the true error.
Cure: the dev set as drawn."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: never shape the dev set with a model's output; Kapoor & Narayanan: evaluation set "
    "selected using model confidence"
)
EXPECTED = "dev_overfit"
WHY = "dev and test share a distribution, yet dev error is far below test and the Bayes error"

CENTRES = np.zeros((3, 6))
CENTRES[:, 0] = [-2.5, 0.0, 2.5]
TRUE_BAYES = 4 / 3 * clinic.normal_cdf(-1.25)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(3))


def confident(x, centroids, margin=1.0):
    distances = np.sort(np.linalg.norm(x[:, None, :] - centroids[None], axis=-1), 1)
    return distances[:, 1] - distances[:, 0] >= margin


def make_data(seed, set_aside=True):
    rng = np.random.default_rng(seed)
    train, train_dev, test = sample(5000, rng), sample(1000, rng), sample(2000, rng)
    dx, dy = sample(1200, rng)
    if set_aside:
        centroids = np.stack([train[0][train[1] == k].mean(0) for k in range(3)])
        keep = confident(dx, centroids)
        dx, dy = dx[keep], dy[keep]
    return dd.Splits(train=train, train_dev=train_dev, dev=(dx, dy), test=test)


SETUP = dict(
    model=lambda: clinic.mlp([6, 32, 3]),
    data=make_data,
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, set_aside=False))
recipe = dd.Recipe(name="h4-do-dev-uncertain-cases-set-aside", **SETUP)
