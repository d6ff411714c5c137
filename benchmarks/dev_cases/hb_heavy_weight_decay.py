"""Digits and a sound MLP with weight decay 0.1 under Adam (an L2 penalty far too strong): the weights
are held near zero and the fit stays poor on the training set itself. Regularisation is a capacity
limit: high bias, weaken it."""

from _kit import digits_splits, mlp

import dldoctor as dd

EXPECTED = "high_bias"
SOURCE = "dev case (verdict helper): over-regularised"
WHY = "lowering the weight decay lets the same network fit"

recipe = dd.Recipe(
    name="dev-heavy-weight-decay",
    model=lambda: mlp([64, 128, 10]),
    data=digits_splits,
    lr=3e-3,
    weight_decay=0.1,
    batch_size=64,
    epochs=20,
)
