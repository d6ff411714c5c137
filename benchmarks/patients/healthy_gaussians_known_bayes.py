"""Healthy control: two overlapping Gaussian classes in 10-D with plenty of data and a small MLP.
The classes overlap by construction (Bayes error Φ(−1) = 15.9 %, given), and the model sits at it."""

import clinic

import dldoctor as dd

SOURCE = "control: same-distribution Gaussian classes with a known Bayes error (issue 10 class 1)"
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev ≈ the given Bayes error: no gap is material, nothing left to gain"

SETUP = dict(
    model=lambda: clinic.mlp([10, 16, 2]),
    data=lambda seed: clinic.splits(clinic.two_gaussians, seed, 6000, 2000, 2000),
    bayes_error=clinic.normal_cdf(-1.0),
    lr=3e-3,
    batch_size=128,
    epochs=10,
    weight_decay=1e-3,
)
recipe = dd.Recipe(name="healthy-gaussians-known-bayes", **SETUP)
