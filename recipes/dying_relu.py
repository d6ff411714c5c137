"""Digits and a sound ReLU MLP, but SGD with lr=1 and momentum 0.9: the first large steps push
most hidden units' pre-activations below zero for every input. A ReLU that never fires passes no
gradient, so those units never come back and the network is left with a handful of live ones."""

from toolkit import digits_splits, mlp

import dldoctor as dd

recipe = dd.Recipe(
    name="digits-dying-relu",
    model=lambda: mlp([64, 128, 128, 10]),
    data=digits_splits,
    task="classification",
    optimizer="sgd",
    lr=1.0,
    beta=0.9,
    batch_size=64,
    epochs=10,
    description="Digits; MLP 64-128-128-10 (ReLU); SGD with lr=1. Expected: optimisation failure"
    " (dead units).",
)
