"""Five Gaussian classes in 6-D trained by SGD with momentum; train-dev is carved out of train by
dldoctor and dev has 500 examples. A plain, sound set-up: healthy."""

from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): a healthy control trained by SGD, train-dev carved"
WHY = "nothing is wrong; the errors differ only by sampling noise"

recipe = dd.Recipe(
    name="dev-healthy-sgd",
    model=lambda: mlp([6, 32, 5]),
    data=lambda seed: gaussian_splits(seed, 5, 6, 4.0, (4000, 0, 500)),
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=15,
)
