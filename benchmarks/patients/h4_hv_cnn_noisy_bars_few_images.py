"""Fault: a CNN with a wide dense head memorising label noise. 8×8 images of a horizontal,
vertical or diagonal bar in pixel noise; 25 % of labels replaced by another class in every split
(the clean task is nearly noiseless, so the Bayes error is ≈ 25 %, given). Only 300 training images,
a 256-unit dense head and 60 epochs without regularisation: the network fits every flipped label
and its errors on new images climb well above 25 %. Cure: 5,000 training images and the small
two-convolution CNN, 10 epochs."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "Ng's course: high variance — more data / regularisation; DeepCrime: change training data size "
    "and label noise (mislabelled data)"
)
EXPECTED = "high_variance"
WHY = "train error ≈ 0 far under the 25 % floor of noisy labels, train-dev ≈ dev far above it"

TRUE_BAYES = 0.25


def wide_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 8 * 8, 256),
        nn.ReLU(),
        nn.Linear(256, 3),
    )


noisy_bars = clinic.noisy(clinic.bar_images, TRUE_BAYES, 3)

SETUP = dict(
    model=wide_cnn,
    data=lambda seed: clinic.splits(noisy_bars, seed, 300, 1000, 1000),
    bayes_error=TRUE_BAYES,
    lr=1e-3,
    batch_size=32,
    epochs=60,
)
CURE = dict(
    model=lambda: clinic.small_cnn(3),
    data=lambda seed: clinic.splits(noisy_bars, seed, 5000, 1000, 1000),
    epochs=10,
)
recipe = dd.Recipe(name="h4-hv-cnn-noisy-bars-few-images", **SETUP)
