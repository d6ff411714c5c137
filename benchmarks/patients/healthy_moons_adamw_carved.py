"""Healthy control: noisy moons (overlapping, Bayes error unknown and estimated), a wide MLP with
AdamW and decoupled weight decay, train-dev carved by dldoctor from 8,000 training examples."""

import clinic

import dldoctor as dd

SOURCE = "control: AdamW, carved train-dev, estimated Bayes error"
EXPECTED = "healthy"
WHY = "a regularised MLP with ample data at the moons' overlap floor: gaps within noise"


def sample(n, rng):
    return clinic.moons(n, rng, noise=0.3)


SETUP = dict(
    model=lambda: clinic.mlp([2, 128, 128, 2]),
    data=lambda seed: clinic.splits(sample, seed, 8000, None, 2000),
    optimizer="adamw",
    lr=3e-3,
    weight_decay=1e-2,
    batch_size=128,
    epochs=20,
)
recipe = dd.Recipe(name="healthy-moons-adamw-carved", **SETUP)
