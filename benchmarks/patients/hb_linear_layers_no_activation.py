"""Fault: activation functions left out between the Linear layers (2-64-64-2 with nothing between),
so the whole network is one linear map, trained on the two moons, whose boundary is curved.
Cure: ReLU between the layers."""

import clinic

import dldoctor as dd

SOURCE = "UMLAUT: missing activation function; DeepCrime: remove_activation_function"
EXPECTED = "high_bias"
WHY = "stacked linear layers collapse to a linear classifier: it underfits a curved boundary (Bayes ≈ 0)"

SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 2], activation=None),
    data=lambda seed: clinic.splits(clinic.moons, seed, 4000, 1000, 1000),
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: clinic.mlp([2, 64, 64, 2]))
recipe = dd.Recipe(name="hb-linear-layers-no-activation", **SETUP)
