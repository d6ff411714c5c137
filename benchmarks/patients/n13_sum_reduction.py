"""Fault (needs issue 13's `loss`): a loss summed over the batch instead of averaged, with a
learning rate chosen for the mean. Each step is batch-size (256) times too large for SGD and
training blows up. Written as per-example losses scaled by the batch size, which is what a sum
reduction does to the gradient. Cure: mean reduction."""

import clinic
import torch.nn.functional as F

import dldoctor as dd

SOURCE = "DEFault: loss fault (wrong reduction); issue 13 reading 'sum reduction scaling with batch size'"
EXPECTED = "optimization_failure"
WHY = "the effective learning rate is 256× the intended one: the loss diverges, the optimiser fails"
NEEDS = "issue 13: loss"

BATCH = 256


def summed_cross_entropy(outputs, targets):
    return BATCH * F.cross_entropy(outputs, targets, reduction="none")


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    loss=summed_cross_entropy,
    optimizer="sgd",
    lr=0.1,
    beta=0.9,
    batch_size=BATCH,
    epochs=20,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="n13-sum-reduction", **SETUP)
