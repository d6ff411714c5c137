"""Digits and a sound MLP, but SGD with a learning rate about a thousand times too large: the
loss blows up within the first epoch. Nothing about the model or data is wrong."""

from toolkit import digits_splits, mlp

import dldoctor as dd

recipe = dd.Recipe(
    name="digits-lr-too-high",
    model=lambda: mlp([64, 128, 128, 10]),
    data=digits_splits,
    task="classification",
    optimizer="sgd",
    lr=30.0,
    beta=0.9,
    batch_size=64,
    epochs=10,
    description="Digits; MLP 64-128-128-10; SGD with lr=30. Expected: optimisation failure.",
)
