"""Fault (regression): a shape bug in the loss. The targets arrive as (N,) and the network's output
as (N, 1); `((outputs - targets) ** 2).mean()` then broadcasts to an N × N matrix and compares
every prediction with every target in the batch. Its minimum is the batch mean of the targets for
every input, so the network learns to predict a constant. Written as the per-example loss that
this is (each prediction against all targets of its batch). Smooth 6-D regression with noise
σ = 0.5 (Bayes MSE 0.25, given). Cure: matching shapes (the plain squared error)."""

import clinic

import dldoctor as dd

SOURCE = (
    "DeepDiagnosis / UMLAUT: tensor shape mismatch silently broadcast in the loss; DEFault / DeepFD: "
    "loss-function fault"
)
EXPECTED = "optimization_failure"
WHY = "train MSE ≈ the targets' variance, far above 0.25, while the same network fits with the shapes matched"

TRUE_BAYES = 0.25


def broadcast_squared_error(outputs, targets):
    return ((outputs[:, None] - targets[None, :]) ** 2).mean(1)


SETUP = dict(
    model=lambda: clinic.regressor([6, 64, 64, 1]),
    data=lambda seed: clinic.splits(clinic.smooth_regression, seed, 6000, 1500, 1500),
    task="regression",
    bayes_error=TRUE_BAYES,
    loss=broadcast_squared_error,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="h4-of-regression-loss-broadcast", **SETUP)
