"""Digits and a sound MLP, but SGD with a learning rate about a thousand times too large: the
loss blows up within the first epoch. Nothing about the model or data is wrong."""

from toolkit import digits, mlp, shuffled_split

import dldoctor as dd


def make_data(seed: int) -> dd.Splits:
    x, y = digits()
    train, dev = shuffled_split(len(y), [1297], seed)
    return dd.Splits(train=(x[train], y[train]), dev=(x[dev], y[dev]))


recipe = dd.Recipe(
    name="digits-lr-too-high",
    model=lambda: mlp([64, 128, 128, 10]),
    data=make_data,
    task="classification",
    optimizer="sgd",
    lr=30.0,
    beta=0.9,
    batch_size=64,
    epochs=10,
    description="Digits; MLP 64-128-128-10; SGD with lr=30. Expected: optimisation failure.",
)
