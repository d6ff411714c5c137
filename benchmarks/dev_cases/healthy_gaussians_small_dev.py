"""Four Gaussian classes in 10-D, a sound MLP and plenty of training data, but only 400 train-dev and
400 dev examples: the model is at the Bayes error, and the small splits leave wide intervals."""

from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "healthy"
SOURCE = "dev case (verdict helper): a healthy control with small held-out splits"
WHY = "the data are separable only up to the Bayes error; the model reaches it"

recipe = dd.Recipe(
    name="dev-healthy-gaussians-small-dev",
    model=lambda: mlp([10, 32, 4]),
    data=lambda seed: gaussian_splits(seed, 4, 10, 3.5, (4000, 400, 400)),
    lr=3e-3,
    batch_size=128,
    epochs=20,
)
