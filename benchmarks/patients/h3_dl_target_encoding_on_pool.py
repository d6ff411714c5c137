"""Fault: leakage through target encoding fitted on train and dev together. Rows belong to one of
1,500 merchants (about 4 rows each in the labelled pool); the label follows a logistic model of 4
readings plus a merchant effect (Bayes error ≈ 21 % with the merchant known, Monte Carlo below, not
given). The merchant column was replaced by "mean label of this merchant" computed over the whole
pool before the split — so each dev row's feature includes its own label. Dev looks far better than
the truth. The train-dev rows, a later batch of the same merchants, were encoded with the stored
training means, as deployment would be. Cure: means from the training rows only — each training
row's own label left out of its merchant's mean — applied to dev as to train-dev."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L1.2: pre-processing on train and test together — target "
    "encoding); DEFault: data-preprocessing fault"
)
EXPECTED = "data_leakage"
WHY = "dev features carry dev labels: dev error far below train-dev and below what the data allow"

MERCHANTS = 1500
WEIGHTS = np.array([1.0, -0.8, 0.6, 0.5])


def probability(x, effect):
    return 1 / (1 + np.exp(-(x @ WEIGHTS + effect)))


def monte_carlo_bayes(n=400_000):
    rng = np.random.default_rng(0)
    p = probability(rng.standard_normal((n, 4)), rng.normal(0, 1.0, n))
    return float(np.minimum(p, 1 - p).mean())


TRUE_BAYES = monte_carlo_bayes()


def rows(n, effect, rng):
    merchant = rng.integers(0, MERCHANTS, size=n)
    x = rng.standard_normal((n, 4))
    y = (rng.random(n) < probability(x, effect[merchant])).astype(np.int64)
    return x, merchant, y


def merchant_means(merchant, y):
    """Mean label per merchant (the overall mean where a merchant has no rows)."""
    sums, counts = np.bincount(merchant, y, MERCHANTS), np.bincount(merchant, minlength=MERCHANTS)
    return np.where(counts > 0, sums / np.maximum(counts, 1), y.mean())


def leave_one_out(merchant, y):
    """Each row's merchant mean without the row itself (the overall mean where it is alone)."""
    sums, counts = np.bincount(merchant, y, MERCHANTS), np.bincount(merchant, minlength=MERCHANTS)
    others = counts[merchant] - 1
    return np.where(others > 0, (sums[merchant] - y) / np.maximum(others, 1), y.mean())


def encoded(x, merchant, y, means):
    return np.column_stack([x, means[merchant]]).astype(np.float32), y


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    effect = rng.normal(0, 1.0, MERCHANTS)
    x, merchant, y = rows(6000, effect, rng)
    fit, held = np.arange(4000), np.arange(4000, 6000)
    means = merchant_means(merchant, y) if leak else merchant_means(merchant[fit], y[fit])
    later = rows(1500, effect, rng)
    train = encoded(x[fit], merchant[fit], y[fit], means)
    if not leak:
        train = (np.column_stack([x[fit], leave_one_out(merchant[fit], y[fit])]).astype(np.float32), y[fit])
    return dd.Splits(
        train=train,
        train_dev=encoded(*later, means),
        dev=encoded(x[held], merchant[held], y[held], means),
    )


SETUP = dict(
    model=lambda: clinic.mlp([5, 32, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="h3-dl-target-encoding-on-pool", **SETUP)
