"""Fault: Adam with learning rate 1.0 on the noisy moons — a hundred to a thousand times too large.
The loss jumps around instead of falling and units die; the model ends near chance.
Cure: lr = 3e-3."""

import clinic

import dldoctor as dd

SOURCE = "AUTOTRAINER: oscillating loss (learning rate too large); DeepCrime: change_learning_rate (higher)"
EXPECTED = "optimization_failure"
WHY = "the same model trains fine at a sane learning rate: the optimiser, not the capacity, fails"


def sample(n, rng):
    return clinic.moons(n, rng, noise=0.2)


SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 2]),
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    lr=1.0,
    batch_size=64,
    epochs=15,
)
CURE = dict(lr=3e-3)
recipe = dd.Recipe(name="of-lr-far-too-high", **SETUP)
