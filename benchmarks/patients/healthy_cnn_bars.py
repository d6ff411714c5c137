"""Healthy control (images, CNN): 8×8 pictures of a horizontal, vertical or diagonal bar in pixel
noise, 5 % of labels replaced by another class. The clean task is nearly noiseless, so the Bayes
error is the 5 % label noise (given); a small CNN reaches it."""

import clinic

import dldoctor as dd

SOURCE = "control: a convolutional network on image data with known label noise"
EXPECTED = "healthy"
WHY = "the CNN's errors sit at the 5 % label-noise floor on same-distribution splits"

NOISY_BARS = clinic.noisy(clinic.bar_images, 0.05, 3)
SETUP = dict(
    model=lambda: clinic.small_cnn(3),
    data=lambda seed: clinic.splits(NOISY_BARS, seed, 4000, 1500, 1500),
    bayes_error=0.05,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
recipe = dd.Recipe(name="healthy-cnn-bars", **SETUP)
