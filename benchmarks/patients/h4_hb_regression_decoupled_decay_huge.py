"""Fault (regression): AdamW with weight_decay = 2.0 — a value meant for an L2 penalty's λ summed
over a batch, put into the decoupled decay, which shrinks every weight by lr × 2 = 2 % per step.
The weights cannot grow to fit Friedman #1 (5 informative of 10 inputs, noise σ = 1, Bayes MSE 1.0,
given), and the network predicts a washed-out version of the target on its own training rows.
Cure: weight_decay = 1e-2."""

import clinic

import dldoctor as dd

SOURCE = (
    "Ng's course: high bias — reduce regularisation; DeepCrime mutation: change weight regularisation; "
    "DEFault: hyperparameter (regularisation) fault"
)
EXPECTED = "high_bias"
WHY = "train MSE many times the 1.0 noise floor, dev equal to train: the decay prevents fitting"

TRUE_BAYES = 1.0

SETUP = dict(
    model=lambda: clinic.regressor([10, 64, 64, 1]),
    data=lambda seed: clinic.splits(clinic.friedman, seed, 6000, 1500, 1500),
    task="regression",
    bayes_error=TRUE_BAYES,
    optimizer="adamw",
    lr=1e-2,
    weight_decay=2.0,
    batch_size=64,
    epochs=20,
)
CURE = dict(weight_decay=1e-2)
recipe = dd.Recipe(name="h4-hb-regression-decoupled-decay-huge", **SETUP)
