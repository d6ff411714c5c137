"""Fault: a hand-written negative log-likelihood that forgot its minus sign — the loss is
log p(y | x), so the optimiser *maximises* the error it should minimise. The network learns to put
all probability away from the true class, and training error sits at chance (~90 %) on digits,
which the same network learns easily. Cure: −log p(y | x) (torch's cross-entropy)."""

import clinic
import torch

import dldoctor as dd

SOURCE = (
    "DL mutation testing (DeepCrime: change loss function; PyTorch mutation operators on the loss "
    "expression); DeepFD / DEFault: loss-function fault"
)
EXPECTED = "optimization_failure"
WHY = "the objective points the wrong way: the loss falls as the error rises; the model fits with −log p"


def log_likelihood(outputs, targets):
    return torch.log_softmax(outputs, 1).gather(1, targets[:, None]).squeeze(1)


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    loss=log_likelihood,
    lr=1e-3,
    batch_size=64,
    epochs=15,
)
CURE = dict(loss=None)
recipe = dd.Recipe(name="h3-of-nll-missing-minus", **SETUP)
