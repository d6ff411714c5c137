"""Digits and a sound ReLU MLP, but SGD with lr=1e-5: every step moves the weights by a few
millionths of their size, and after ten epochs the network is still where it started."""

from toolkit import digits_splits, mlp

import dldoctor as dd

recipe = dd.Recipe(
    name="digits-lr-too-low",
    model=lambda: mlp([64, 128, 128, 10]),
    data=digits_splits,
    task="classification",
    optimizer="sgd",
    lr=1e-5,
    beta=0.9,
    batch_size=64,
    epochs=10,
    description="Digits; MLP 64-128-128-10; SGD with lr=1e-5. Expected: optimisation failure (tiny updates).",
)
