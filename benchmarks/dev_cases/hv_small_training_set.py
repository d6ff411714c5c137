"""Six Gaussian classes in 30-D with only 300 training examples and a wide MLP trained long: it
memorises the training set and does much worse on unseen data from the same distribution."""

from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "high_variance"
SOURCE = "dev case (verdict helper): too little data for the model"
WHY = "more training data (or regularisation) closes the gap"

recipe = dd.Recipe(
    name="dev-small-training-set",
    model=lambda: mlp([30, 256, 256, 6]),
    data=lambda seed: gaussian_splits(seed, 6, 30, 3.0, (300, 1000, 1000)),
    bayes_error=0.21,  # nearest class mean on 400,000 draws (Monte Carlo); k-NN overestimates it in 30-D
    lr=1e-3,
    batch_size=32,
    epochs=60,
)
