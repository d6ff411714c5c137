"""Fault: the wrong layers frozen. The code meant to freeze a feature extractor froze the freshly
added classification head instead — and that head was initialised to zero, as many fine-tuning
scripts do. A zero head passes no gradient back to the layers below (∂loss/∂hidden = Wᵀ·δ = 0),
and it cannot move itself, so no weight ever changes: the network predicts one class forever on
digits a plain MLP learns easily. Cure: leave the head trainable."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "TheDeepChecker / UMLAUT: parameters that never change (untrained / frozen layers); DEFault: "
    "training-configuration fault; DL mutation testing: freeze layer"
)
EXPECTED = "optimization_failure"
WHY = "no parameter receives a gradient: training cannot start, the same network trains when unfrozen"


def zero_head_mlp(frozen=True):
    model = clinic.mlp([64, 128, 128, 10])
    head = model[-1]
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    head.requires_grad_(not frozen)
    return model


SETUP = dict(
    model=zero_head_mlp,
    data=clinic.digits_splits,
    lr=1e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: zero_head_mlp(frozen=False))
recipe = dd.Recipe(name="h3-of-head-frozen-at-zero", **SETUP)
