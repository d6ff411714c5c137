"""Fault: Adam with learning rate 1e-6 — a thousand times too small. After 15 epochs the weights
have hardly moved from initialisation and the 4-class mixture is barely better than chance.
Cure: lr = 1e-3."""

import clinic

import dldoctor as dd

SOURCE = "AUTOTRAINER: slow convergence; DeepCrime: change_learning_rate (lower)"
EXPECTED = "optimization_failure"
WHY = "updates are far too small for the loss to move: the optimiser fails, not the model"

SETUP = dict(
    model=lambda: clinic.mlp([16, 64, 64, 4]),
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    lr=1e-6,
    batch_size=64,
    epochs=15,
)
CURE = dict(lr=1e-3)
recipe = dd.Recipe(name="of-lr-far-too-low", **SETUP)
