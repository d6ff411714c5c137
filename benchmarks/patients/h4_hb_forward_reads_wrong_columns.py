"""Fault: a slicing bug in forward(). Ten measurements, of which the first four carry the class
(shifts of 1.2, −1.0, 0.9 and 0.8 standard deviations between the classes; the rest are noise),
Bayes error Φ(−1.0) ≈ 16 % with all four (closed form, given). The model was meant to use the
first six columns, but forward() reads `x[:, 2:8]` — the columns were re-ordered upstream — so
it sees only two of the four informative ones and cannot reach the Bayes error even on its
training set. Cure: `x[:, :6]`."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepDiagnosis / DEFault: model-input (API / tensor-indexing) fault; Ng's course: high bias — "
    "the model cannot fit the training set"
)
EXPECTED = "high_bias"
WHY = "train ≈ train-dev ≈ dev, all well above the given 16 % Bayes error: avoidable bias, no gap"

SHIFTS = np.array([1.2, -1.0, 0.9, 0.8, 0, 0, 0, 0, 0, 0])
TRUE_BAYES = clinic.normal_cdf(-float(np.linalg.norm(SHIFTS)) / 2)


def sample(n, rng):
    y = rng.integers(0, 2, size=n)
    x = rng.standard_normal((n, 10)) + np.where(y == 1, 0.5, -0.5)[:, None] * SHIFTS
    return x.astype(np.float32), y


class Columns(nn.Module):
    """Keep columns [start, stop) of a (N, features) input."""

    def __init__(self, start, stop):
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x):
        return x[:, self.start : self.stop]


def sliced_mlp(start=2):
    return nn.Sequential(Columns(start, start + 6), clinic.mlp([6, 32, 2]))


SETUP = dict(
    model=sliced_mlp,
    data=lambda seed: clinic.splits(sample, seed, 5000, 1500, 1500),
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(model=lambda: sliced_mlp(start=0))
recipe = dd.Recipe(name="h4-hb-forward-reads-wrong-columns", **SETUP)
