"""Fault (needs issue 13's `loss`): a regression loss on a classification task — the squared error
between the first output and the class index, as when MSE is picked instead of cross-entropy. The
error is still read from the argmax over three outputs, two of which the loss never trains.
Cure: the default cross-entropy."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "DeepFD: loss function fault (wrong loss); DEFault: loss fault; DeepCrime: change_loss_function"
EXPECTED = "optimization_failure"
WHY = "the objective being minimised is not the task's: the model can fit, the training set-up cannot"
NEEDS = "issue 13: loss"

CENTRES = 3.0 * np.eye(3, 8)


def sample(n, rng):
    return clinic.blobs(n, rng, CENTRES, np.arange(3))


def mse_on_index(outputs, targets):
    return (outputs[:, 0] - targets.float()) ** 2


SETUP = dict(
    model=lambda: clinic.mlp([8, 32, 32, 3]),
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    loss=mse_on_index,
    lr=1e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="n13-mse-on-class-indices", **SETUP)
