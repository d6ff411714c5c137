"""Fault: every weight and bias initialised to exactly zero (an init helper with `nn.init.zeros_`
applied to all layers). In a ReLU MLP the hidden activations are then 0, so the gradients of every
hidden weight are 0, and the output weights' gradients (δ·hᵀ) are 0 too: only the output bias can
move, and the model predicts the majority class for every input. Breast-cancer table
(standardised), which the same network fits to a few percent. Cure: the default initialisation."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "DEFault / DeepFD: weight-initialisation fault; TheDeepChecker / UMLAUT: parameters that never "
    "change; AUTOTRAINER: loss does not decrease"
)
EXPECTED = "optimization_failure"
WHY = "no weight receives a gradient: error stays at the majority-class rate, the default init fits"


def zero_mlp(zero=True):
    model = clinic.mlp([30, 64, 64, 2])
    return clinic.init_linear(model, nn.init.zeros_, 0.0) if zero else model


SETUP = dict(
    model=zero_mlp,
    data=clinic.breast_cancer_splits,
    lr=1e-3,
    batch_size=32,
    epochs=20,
)
CURE = dict(model=lambda: zero_mlp(zero=False))
recipe = dd.Recipe(name="h4-of-all-weights-zero", **SETUP)
