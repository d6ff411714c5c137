"""Fault: Adam with eps = 1.0 (copied from a tip meant for a different parameterisation, or a 1e-8
typed as 1e0). Adam divides the averaged gradient by √v + eps; with per-weight gradients of order
1e-3–1e-2 the eps term dominates, so each step is lr × gradient — plain SGD at lr 1e-3 without
momentum — and 20 epochs on the digits barely move the loss. Cure: the default eps (1e-8)."""

import clinic

import dldoctor as dd

SOURCE = "DEFault: optimiser hyperparameter fault (Adam epsilon); AUTOTRAINER symptom: slow convergence"
EXPECTED = "optimization_failure"
WHY = "the same network and optimiser fit with the default eps: the step-size normalisation is broken"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    optimizer="adam",
    optimizer_kwargs={"eps": 1.0},
    lr=1e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(optimizer_kwargs=None)
recipe = dd.Recipe(name="h2-of-adam-eps-one", **SETUP)
