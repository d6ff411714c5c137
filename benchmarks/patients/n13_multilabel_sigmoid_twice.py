"""Fault (needs issue 13's task="multilabel"): a Sigmoid on the output of a multilabel model whose
loss (binary cross-entropy with logits) applies its own sigmoid. The loss sees logits in (0, 1), so
its probabilities stay in (0.5, 0.73): no label can be predicted absent. Four labels, each "is
feature k above 0.5", from 8 Gaussian inputs. Cure: drop the final Sigmoid."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = "UMLAUT: output activation inconsistent with the loss (sigmoid twice); DEFault: activation fault"
EXPECTED = ("high_bias", "optimization_failure")
WHY = (
    "the output cannot reach its targets (a static capacity fault, high bias) and training cannot fix it "
    "(optimisation): both readings name the cause"
)


def sample(n, rng):
    x = rng.standard_normal((n, 8)).astype(np.float32)
    return x, (x[:, :4] > 0.5).astype(np.float32)


SETUP = dict(
    model=lambda: nn.Sequential(clinic.mlp([8, 32, 4]), nn.Sigmoid()),
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    task="multilabel",
    lr=3e-3,
    batch_size=64,
    epochs=10,
)
CURE = dict(model=lambda: clinic.mlp([8, 32, 4]))
recipe = dd.Recipe(name="n13-multilabel-sigmoid-twice", **SETUP)
