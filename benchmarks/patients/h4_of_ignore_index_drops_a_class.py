"""Fault: `ignore_index=0` in the cross-entropy, copied from sequence code where id 0 was padding.
Here 0 is a real class: every example of class 0 drops out of the loss, so nothing ever teaches the
network to raise the class-0 logit and those examples are all assigned to other classes. Four
Gaussian classes in 16-D (Bayes error ≈ 5 %) that the same network fits easily; its training error
stays about a quarter higher. Cure: no ignore_index."""

import clinic
import torch.nn.functional as F

import dldoctor as dd

SOURCE = (
    "DeepDiagnosis / UMLAUT: API misuse in the loss call (wrong argument); DeepFD / DEFault: "
    "loss-function fault"
)
EXPECTED = "optimization_failure"
WHY = "the loss never sees class 0: a quarter of the training set is always wrong, the plain loss fits it"


def cross_entropy_ignoring_zero(outputs, targets):
    return F.cross_entropy(outputs, targets, ignore_index=0, reduction="none")


SETUP = dict(
    model=lambda: clinic.mlp([16, 64, 4]),
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    loss=cross_entropy_ignoring_zero,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="h4-of-ignore-index-drops-a-class", **SETUP)
