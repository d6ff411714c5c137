"""Dev-set selection: of 300 draws of 250 dev examples from the labelled pool, the team kept the
one on which its nearest-centroid baseline scored best. Three Gaussian classes in 8-D; a fresh test
set from the same pool shows the error the chosen dev set flatters."""

import numpy as np
from _kit import gaussians, mlp

import dldoctor as dd

EXPECTED = "dev_overfit"
SOURCE = "dev case (verdict helper): the dev sample chosen for its score"
WHY = "dev is easier than both train-dev and a test set drawn like it: the sample, not the distribution"


def centroid_error(train: tuple[np.ndarray, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    centres = np.stack([train[0][train[1] == k].mean(0) for k in range(3)])
    guess = ((x[:, None, :] - centres[None]) ** 2).sum(2).argmin(1)
    return float(np.mean(guess != y))


def splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    train, train_dev, test, (px, py) = (gaussians(n, rng, 3, 8, 2.2) for n in (3000, 1000, 2000, 4000))
    draws = [rng.choice(len(py), 250, replace=False) for _ in range(300)]
    best = min(draws, key=lambda idx: centroid_error(train, px[idx], py[idx]))
    return dd.Splits(train=train, train_dev=train_dev, dev=(px[best], py[best]), test=test)


recipe = dd.Recipe(
    name="dev-easiest-dev-draw",
    model=lambda: mlp([8, 32, 3]),
    data=splits,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
