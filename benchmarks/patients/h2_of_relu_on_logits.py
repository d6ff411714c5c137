"""Fault: a ReLU after the output layer, in front of cross-entropy. Every class whose pre-activation
is negative outputs exactly 0 and passes no gradient back, so an example whose true class starts (or
falls) below zero can never raise it; ties at 0 are broken toward class 0. Digits MLP, Adam.
Cure: no activation on the logits."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: activation fault (wrong activation on the output layer); DeepCrime: "
    "add_activation_function"
)
EXPECTED = "optimization_failure"
WHY = (
    "the network can represent the answer (a positive logit for the right class) but the dead output "
    "units give no gradient to reach it: the training signal, not the capacity, fails"
)

SETUP = dict(
    model=lambda: nn.Sequential(clinic.mlp([64, 128, 128, 10]), nn.ReLU()),
    data=clinic.digits_splits,
    lr=1e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: clinic.mlp([64, 128, 128, 10]))
recipe = dd.Recipe(name="h2-of-relu-on-logits", **SETUP)
