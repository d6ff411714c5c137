"""Fault: dying ReLU from initialisation. Every hidden bias is set to −3 while pre-activations have
a spread well under 1, so every ReLU outputs zero for every input from the first step and no
gradient reaches the hidden weights. Only the output bias learns: the model predicts one class.
Cure: zero biases."""

import clinic

import dldoctor as dd

SOURCE = "AUTOTRAINER: dying ReLU; DeepDiagnosis: dead node"
EXPECTED = "optimization_failure"
WHY = "all hidden units are dead, so nothing learns: training fails although the model is big enough"


def make_model(bias=-3.0):
    model = clinic.mlp([10, 64, 64, 2])
    with_bias = clinic.init_linear(model, lambda w: None, bias=bias)
    with_bias[-1].bias.data.zero_()
    return with_bias


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=10, half_gap=1.5)


SETUP = dict(
    model=make_model,
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    lr=1e-3,
    batch_size=64,
    epochs=10,
)
CURE = dict(model=lambda: make_model(bias=0.0))
recipe = dd.Recipe(name="of-dead-relu-bias", **SETUP)
