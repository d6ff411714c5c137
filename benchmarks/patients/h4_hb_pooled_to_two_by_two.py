"""Fault: the model throws its input away. A digits classifier whose first layer is a 4×4 average
pool (left from a version built for 32×32 scans), so each 8×8 digit reaches the MLP as a 2×2 image
of four quadrant means. Many digits share nearly the same quadrant brightness, and the network
misclassifies a large share of its own training images. Cure: no pooling (the MLP sees all 64
pixels)."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: layer (architecture) fault — a wrong pooling size; Ng's course: high bias "
    "(a different architecture)"
)
EXPECTED = "high_bias"
WHY = "train error tens of points above what the same MLP reaches on full digits; dev follows train"


def pooled_mlp(pool=4):
    return nn.Sequential(nn.AvgPool2d(pool), clinic.mlp([(8 // pool) ** 2, 128, 128, 10]))


SETUP = dict(
    model=pooled_mlp,
    data=clinic.digits_splits,
    lr=3e-3,
    batch_size=64,
    epochs=20,
)
CURE = dict(model=lambda: pooled_mlp(pool=1))
recipe = dd.Recipe(name="h4-hb-pooled-to-two-by-two", **SETUP)
