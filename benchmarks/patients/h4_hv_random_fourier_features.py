"""Fault: a feature expansion far too rich for the data (regression). Three inputs are mapped
through 2,000 fixed random Fourier features of a narrow bandwidth (cos(ω·x + b), ω ~ N(0, 3²)),
and only the linear read-out on them is trained — on 120 rows of y = sin(x₀) + x₁·x₂/2 − x₂/2 plus
noise σ = 0.3 (Bayes MSE 0.09, not given). With 2,000 wiggly features for 120 rows the read-out
interpolates the noise: training MSE far below 0.09, held-out rows many times worse.
Cure: 6,000 training rows."""

import clinic
import numpy as np
import torch
from torch import nn

import dldoctor as dd

SOURCE = (
    "Ng's course: high variance — more data; DeepCrime: change training data size; kernel / random "
    "features models (Rahimi & Recht) with a narrow bandwidth"
)
EXPECTED = "high_variance"
WHY = "train MSE far below the noise floor, train-dev ≈ dev several times above it: the fit memorised rows"

FEATURES = 2000
TRUE_BAYES = 0.09


def sample(n, rng):
    x = rng.uniform(-2, 2, (n, 3))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] - 0.5 * x[:, 2] + 0.3 * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


class RandomFourier(nn.Module):
    """cos(x·Ω + b) with Ω, b drawn once and frozen; only the linear read-out learns."""

    def __init__(self, bandwidth=3.0):
        super().__init__()
        generator = torch.Generator().manual_seed(5)
        self.register_buffer("omega", bandwidth * torch.randn(3, FEATURES, generator=generator))
        self.register_buffer("phase", 2 * torch.pi * torch.rand(FEATURES, generator=generator))
        self.readout = nn.Linear(FEATURES, 1)

    def forward(self, x):
        return self.readout(torch.cos(x @ self.omega + self.phase) * (2 / FEATURES) ** 0.5).squeeze(-1)


SETUP = dict(
    model=RandomFourier,
    data=lambda seed: clinic.splits(sample, seed, 120, 1000, 1000),
    task="regression",
    lr=2e-2,
    batch_size=16,
    epochs=150,
)
CURE = dict(data=lambda seed: clinic.splits(sample, seed, 6000, 1000, 1000), lr=1e-2, epochs=20)
recipe = dd.Recipe(name="h4-hv-random-fourier-features", **SETUP)
