"""Ten digit classes through a hidden layer of three units: the logits live in a three-dimensional
subspace, too few for ten classes. A capacity fault: high bias, widen the layer."""

from _kit import digits_splits, mlp

import dldoctor as dd

EXPECTED = "high_bias"
SOURCE = "dev case (verdict helper): a bottleneck narrower than the classes"
WHY = "widening the narrow layer fixes it; no optimiser setting does"

recipe = dd.Recipe(
    name="dev-bottleneck",
    model=lambda: mlp([64, 64, 3, 10]),
    data=digits_splits,
    lr=3e-3,
    batch_size=64,
    epochs=30,
)
