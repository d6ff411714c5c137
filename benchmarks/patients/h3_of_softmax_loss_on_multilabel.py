"""Fault: the wrong loss for a multilabel task — softmax cross-entropy against the 0/1 label vector
(−Σₖ yₖ·log softmax(z)ₖ), as when a multi-class loss is reused. Softmax only compares the logits with
each other, so nothing anchors them to the decision threshold at 0 that turns a logit into a yes/no;
labels also compete for probability mass. Four independent labels ("feature k > 0.3") from 8-D
Gaussian inputs (Bayes error 0, deterministic labels). Cure: binary cross-entropy per label."""

import clinic
import numpy as np
import torch

import dldoctor as dd

SOURCE = (
    "UMLAUT: loss inconsistent with the task / output (softmax for multilabel); DeepFD: wrong loss "
    "function; DEFault: loss-function fault"
)
EXPECTED = "optimization_failure"
WHY = "the objective minimised is not the task's: the same model fits the labels under binary cross-entropy"


def sample(n, rng):
    x = rng.standard_normal((n, 8)).astype(np.float32)
    return x, (x[:, :4] > 0.3).astype(np.float32)


def softmax_cross_entropy(outputs, targets):
    return -(targets * torch.log_softmax(outputs, 1)).sum(1)


SETUP = dict(
    model=lambda: clinic.mlp([8, 64, 4]),
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000),
    task="multilabel",
    loss=softmax_cross_entropy,
    lr=3e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="h3-of-softmax-loss-on-multilabel", **SETUP)
