"""Fault: exploding activations and gradients. An 8-layer ReLU MLP initialised with weights
N(0, 0.5²) — about 2.8× the He scale per layer, so signals grow ≈ 2.8⁸ ≈ 4,000× through the net —
trained with SGD. The first steps blow the loss up (inf/NaN). Cure: default initialisation."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "AUTOTRAINER: exploding gradient; DeepDiagnosis: exploding tensor / numerical error"
EXPECTED = "optimization_failure"
WHY = "gradients explode from the first steps (loss non-finite): a training failure, not a capacity one"


def make_model(std=0.5):
    model = clinic.mlp([16] + [64] * 7 + [4])
    return clinic.init_linear(model, lambda w: nn.init.normal_(w, 0.0, std), bias=0.0) if std else model


SETUP = dict(
    model=make_model,
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    optimizer="sgd",
    lr=0.01,
    beta=0.9,
    batch_size=64,
    epochs=10,
)
CURE = dict(model=lambda: make_model(std=None))
recipe = dd.Recipe(name="of-exploding-init", **SETUP)
