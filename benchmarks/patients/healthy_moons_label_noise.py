"""Healthy control: two moons with 10 % of labels flipped in every split. The clean moons are nearly
separable, so the Bayes error is the flip rate, 10 % (given); a moderate MLP fits the boundary
without memorising the flipped labels."""

import clinic

import dldoctor as dd

SOURCE = "control: label noise at a known rate (a model sitting at the Bayes error; issue 10 class 1)"
EXPECTED = "healthy"
WHY = "every error sits at the 10 % label-noise floor; the noise is unrecoverable, so nothing is material"

NOISY_MOONS = clinic.noisy(clinic.moons, 0.10, 2)
SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 2]),
    data=lambda seed: clinic.splits(NOISY_MOONS, seed, 6000, 2000, 2000),
    bayes_error=0.10,
    lr=3e-3,
    batch_size=128,
    epochs=20,
)
recipe = dd.Recipe(name="healthy-moons-label-noise", **SETUP)
