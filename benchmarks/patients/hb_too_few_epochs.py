"""Fault: training stopped after 3 epochs (≈30 Adam steps at batch 128) while the loss is still
falling fast; the digits MLP would fit with 30. Cure: epochs=30."""

import clinic

import dldoctor as dd

SOURCE = "DeepFD: epochs (insufficient training iterations); DeepCrime: change_epochs (fewer)"
EXPECTED = "high_bias"
WHY = (
    "the model underfits its training set and the loss is still falling: by convention high bias, 'train "
    "longer'"
)

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    lr=1e-3,
    batch_size=128,
    epochs=3,
)
CURE = dict(epochs=30)
recipe = dd.Recipe(name="hb-too-few-epochs", **SETUP)
