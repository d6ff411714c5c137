"""Fault: regularisation far too strong, as training-time input noise. The model adds Gaussian noise
of σ = 1 to its inputs while training (a "noise augmentation" layer, off in eval mode) on two
interleaved moons whose arms are about one unit apart (noise 0.1, Bayes error ≈ 0). Trained on
inputs blurred that much, the network can only learn a smoothed, nearly straight boundary and
misclassifies the moons' tips even on its own training set. Cure: σ = 0.05."""

import clinic
import torch
from torch import nn

import dldoctor as dd

SOURCE = (
    "Ng's course: high bias — reduce regularisation; DEFault: regularisation fault; DeepCrime "
    "(mutation testing): change the amount of noise/regularisation"
)
EXPECTED = "high_bias"
WHY = "train error is far above the ~0 % Bayes error and the dev error follows it: the model underfits"


class InputNoise(nn.Module):
    """Adds N(0, σ²) to every input in training mode only."""

    def __init__(self, sigma):
        super().__init__()
        self.sigma = sigma

    def forward(self, x):
        return x + self.sigma * torch.randn_like(x) if self.training else x


def noisy_mlp(sigma=1.0):
    return nn.Sequential(InputNoise(sigma), clinic.mlp([2, 64, 64, 2]))


SETUP = dict(
    model=noisy_mlp,
    data=lambda seed: clinic.splits(clinic.moons, seed, 4000, 1000, 1000),
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: noisy_mlp(0.05))
recipe = dd.Recipe(name="h3-hb-input-noise-too-strong", **SETUP)
