"""Leakage the duplicate search cannot see: 400 sources (speakers, say) give 6 recordings each, every
recording its source's profile plus noise, and dev was split by recording, so its sources also fill
train. A wide MLP memorises the sources; train-dev (150 new sources) shows the honest error, dev
scores almost like train. No recording is a near-copy of another at the search's radius."""

import numpy as np
from _kit import gaussians, mlp

import dldoctor as dd

EXPECTED = "data_leakage"
SOURCE = "dev case (verdict helper): records of one source on both sides of the split"
WHY = "dev belongs to training sources: its error falls toward train, far below train-dev"


def recordings(n_sources: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    profile, label = gaussians(n_sources, rng, 2, 16, 2.4)
    x = np.repeat(profile, 6, axis=0) + 0.35 * rng.standard_normal((6 * n_sources, 16))
    return x.astype(np.float32), np.repeat(label, 6)


def splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    (x, y), train_dev = recordings(400, rng), recordings(150, rng)
    order = rng.permutation(len(y))
    dev, train = order[:800], order[800:]
    return dd.Splits(train=(x[train], y[train]), train_dev=train_dev, dev=(x[dev], y[dev]))


recipe = dd.Recipe(
    name="dev-sources-on-both-sides",
    model=lambda: mlp([16, 256, 256, 2]),
    data=splits,
    lr=1e-3,
    batch_size=64,
    epochs=25,
)
