"""Fault: weight decay 0.03 (L2 folded into Adam's gradient) on the digits MLP — regularisation so
strong the weights cannot grow enough to fit the training set. Cure: weight decay 1e-4."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: add_weights_regularisation, change_weights_regularisation; DEFault: regularisation"
EXPECTED = "high_bias"
WHY = "over-regularisation shrinks the effective capacity: train error far above Bayes; less decay cures it"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    lr=1e-3,
    weight_decay=0.03,
    batch_size=64,
    epochs=20,
)
CURE = dict(weight_decay=1e-4)
recipe = dd.Recipe(name="hb-heavy-weight-decay", **SETUP)
