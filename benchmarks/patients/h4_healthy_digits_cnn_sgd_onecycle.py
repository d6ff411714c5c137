"""Healthy control (images, CNN, SGD + momentum with a one-cycle schedule, a target): scikit-learn's
bundled 8×8 digits, 1,000 training images, 297 train-dev and 500 dev images, a two-convolution CNN
with light weight decay. A few digits are genuinely ambiguous at 8×8; the user accepts a dev error of
5 % (target_error) and the CNN reaches about 2 %, with train-dev and dev alike."""

import clinic

import dldoctor as dd

SOURCE = "control: the digits image task with a CNN (AUTOTRAINER-style healthy image run), SGD one-cycle"
EXPECTED = "healthy"
WHY = "dev error ≈ train-dev error, both well under the 5 % target; a longer run gains nothing material"


SETUP = dict(
    model=lambda: clinic.small_cnn(10),
    data=clinic.digits_with_train_dev,
    target_error=0.05,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    weight_decay=5e-4,
    scheduler="onecycle",
    batch_size=32,
    epochs=15,
)
REFERENCE = dict(epochs=30)
recipe = dd.Recipe(name="h4-healthy-digits-cnn-sgd-onecycle", **SETUP)
