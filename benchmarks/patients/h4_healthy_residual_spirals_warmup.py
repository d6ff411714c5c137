"""Healthy control (a deep residual MLP with LayerNorm, AdamW, warm-up + cosine): two interleaved
spirals (1.5 turns each, radial noise σ = 0.12 — neighbouring arms overlap a little near the
centre, Bayes error ≈ 1–2 %, estimated). Six pre-norm residual blocks of width 64 on 6,000 points:
a non-linear boundary that a shallow net struggles with, fitted without over-fitting."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = (
    "control: residual blocks with normalisation (DeepDiagnosis / AUTOTRAINER deep-net runs), two spirals"
)
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev, all low; a longer run gains nothing material"


def spirals(n, rng):
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    r = t / (3 * np.pi) * 2 + 0.12 * rng.standard_normal(n)
    angle = t + np.pi * y
    return np.stack([r * np.cos(angle), r * np.sin(angle)], 1).astype(np.float32), y


class Block(nn.Module):
    """x + W₂·ReLU(W₁·LayerNorm(x)): a pre-norm residual block."""

    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)
        )

    def forward(self, x):
        return x + self.body(x)


def residual_mlp(blocks=6, width=64):
    return nn.Sequential(
        nn.Linear(2, width), *[Block(width) for _ in range(blocks)], nn.LayerNorm(width), nn.Linear(width, 2)
    )


SETUP = dict(
    model=residual_mlp,
    data=lambda seed: clinic.splits(spirals, seed, 6000, 1500, 1500),
    optimizer="adamw",
    lr=2e-3,
    weight_decay=1e-2,
    scheduler="warmup_cosine",
    batch_size=64,
    epochs=20,
)
REFERENCE = dict(epochs=40)
recipe = dd.Recipe(name="h4-healthy-residual-spirals-warmup", **SETUP)
