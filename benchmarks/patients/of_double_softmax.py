"""Fault: a Softmax layer at the end of the model while the loss (cross-entropy) applies its own
log-softmax. The logits the loss sees are probabilities in [0, 1], so the loss can fall only a
little from log 10 and its gradients are tiny; SGD barely gets off the ground.
Cure: drop the final Softmax."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "UMLAUT: softmax applied twice (activation before a loss that includes it); DEFault: loss fault"
EXPECTED = "optimization_failure"
WHY = "the objective's gradients are squashed by the extra softmax: the optimiser fails where its twin fits"

SETUP = dict(
    model=lambda: nn.Sequential(clinic.mlp([64, 128, 128, 10]), nn.Softmax(dim=1)),
    data=clinic.digits_splits,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: clinic.mlp([64, 128, 128, 10]))
recipe = dd.Recipe(name="of-double-softmax", **SETUP)
