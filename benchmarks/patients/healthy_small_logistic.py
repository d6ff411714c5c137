"""Healthy control on small data: 600 training examples of two Gaussian classes in 5-D and a
logistic regression (one Linear layer) — the right model for a linear Bayes boundary, so even small
data leaves little variance. Bayes error Φ(−1.2) = 11.5 % (given)."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = "control: small data, a model matched to the problem (logistic regression)"
EXPECTED = "healthy"
WHY = "a 12-parameter linear model on a linear boundary: errors match the given Bayes error within noise"


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=5, half_gap=1.2)


SETUP = dict(
    model=lambda: nn.Linear(5, 2),
    data=lambda seed: clinic.splits(sample, seed, 600, 400, 400),
    bayes_error=clinic.normal_cdf(-1.2),
    lr=1e-2,
    batch_size=32,
    epochs=30,
)
recipe = dd.Recipe(name="healthy-small-logistic", **SETUP)
