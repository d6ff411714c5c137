"""Fault: dev overfitting through repeated use. The user chose which of 60 input features to keep by
greedy forward selection (8 of 60 weak features, each shifted ±0.15 between the classes), scoring
each candidate set with a nearest-centroid model on the same small dev set (120 examples) again and
again. The chosen set is the one that happens to suit those 120 examples; a fresh test set from the
dev distribution shows the dev score was luck. Cure: any 8 features chosen without looking at dev."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "Kapoor & Narayanan leakage L1.3 (feature selection on the evaluation set); the course: dev overfit"
EXPECTED = "dev_overfit"
WHY = "dev and test share a distribution, yet test error is far above dev: choices were overfit to dev"


def sample(n, rng):
    y = rng.integers(0, 2, size=n)
    x = rng.standard_normal((n, 60)) + np.where(y == 1, 0.15, -0.15)[:, None]
    return x.astype(np.float32), y


def centroid_error(train, dev, columns):
    (x, y), (dx, dy) = train, dev
    c0, c1 = x[y == 0][:, columns].mean(0), x[y == 1][:, columns].mean(0)
    pred = ((dx[:, columns] - c1) ** 2).sum(1) < ((dx[:, columns] - c0) ** 2).sum(1)
    return np.mean(pred != dy)


def greedy_on_dev(train, dev, keep=8):
    """Forward selection scored on dev — the fault itself."""
    chosen = []
    for _ in range(keep):
        rest = [c for c in range(train[0].shape[1]) if c not in chosen]
        chosen.append(min(rest, key=lambda c: centroid_error(train, dev, [*chosen, c])))
    return chosen


def make_data(seed, select_on_dev=True):
    rng = np.random.default_rng(seed)
    train, train_dev, dev, test = sample(2000, rng), sample(1000, rng), sample(120, rng), sample(2000, rng)
    columns = greedy_on_dev(train, dev) if select_on_dev else list(range(8))
    pick = lambda s: (np.ascontiguousarray(s[0][:, columns]), s[1])  # noqa: E731
    return dd.Splits(train=pick(train), train_dev=pick(train_dev), dev=pick(dev), test=pick(test))


SETUP = dict(
    model=lambda: clinic.mlp([8, 16, 2]),
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(data=lambda seed: make_data(seed, select_on_dev=False))
recipe = dd.Recipe(name="do-features-selected-on-dev", **SETUP)
