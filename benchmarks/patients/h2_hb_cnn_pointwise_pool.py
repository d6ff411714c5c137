"""Fault: a CNN whose only convolution is 1×1, followed by global average pooling. Each feature is
then an average of a per-pixel function, blind to where pixels are, so a horizontal, a vertical and a
diagonal bar (six bright pixels each) look the same to it: error near chance (⅔) on a task a 3×3
CNN solves. Cure: the small 3×3 CNN."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: layer fault (wrong kernel size / architecture cannot see the pattern); AUTOTRAINER"
)
EXPECTED = "high_bias"
WHY = "the architecture cannot represent orientation: the model underfits train as badly as dev"


def pointwise_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 1), nn.ReLU(), nn.Conv2d(32, 32, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 3),
    )  # fmt: skip


SETUP = dict(
    model=pointwise_cnn,
    data=lambda seed: clinic.splits(clinic.bar_images, seed, 4000, 1500, 1500),
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(model=lambda: clinic.small_cnn(3))
recipe = dd.Recipe(name="h2-hb-cnn-pointwise-pool", **SETUP)
