"""Healthy control (regression, Huber loss, OneCycle, heavy-tailed noise): inputs uniform on
[−2, 2]³, y = sin(2x₀) + x₁x₂ plus 0.7 × Student-t noise with 5 degrees of freedom (variance
0.49 × 5/3 = 0.817, the Bayes MSE, given). The Huber loss resists the noise's outliers; because the
noise is symmetric it still aims at the conditional mean, so the MSE reaches the noise floor."""

import clinic
import numpy as np
import torch.nn.functional as F

import dldoctor as dd

SOURCE = "control: robust regression (Huber loss) with known noise variance, a OneCycle schedule"
EXPECTED = "healthy"
WHY = "train, train-dev and dev MSE within a few percent of the noise variance 0.817"

TRUE_BAYES = 0.49 * 5 / 3


def sample(n, rng):
    x = rng.uniform(-2, 2, (n, 3))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.7 * rng.standard_t(5, n)
    return x.astype(np.float32), y.astype(np.float32)


def huber(outputs, targets):
    return F.huber_loss(outputs, targets, delta=1.0, reduction="none")


SETUP = dict(
    model=lambda: clinic.regressor([3, 64, 64, 1]),
    data=lambda seed: clinic.splits(sample, seed, 8000, 2000, 3000),
    task="regression",
    bayes_error=TRUE_BAYES,
    loss=huber,
    lr=5e-3,
    scheduler="onecycle",
    batch_size=128,
    epochs=30,
)
REFERENCE = dict(model=lambda: clinic.regressor([3, 128, 128, 1]), epochs=60)
recipe = dd.Recipe(name="h3-healthy-regression-huber-heavy-tails", **SETUP)
