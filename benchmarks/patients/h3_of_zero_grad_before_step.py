"""Fault: `optimizer.zero_grad()` called between `loss.backward()` and `optimizer.step()` — the
gradients are erased just before they are used. Written as an SGD-with-momentum optimiser whose
step first clears every gradient, which is what the misplaced call does. Every update is zero; the
weights stay at their initial values on four Gaussian classes a small MLP fits easily.
Cure: plain SGD with momentum (the call in its right place)."""

import clinic
import torch

import dldoctor as dd

SOURCE = (
    "DL mutation testing (PyTorch mutation operators: misplaced zero_grad); DEFault: training-loop "
    "fault; AUTOTRAINER symptom: loss does not decrease"
)
EXPECTED = "optimization_failure"
WHY = "no update ever reaches the weights: the loss never moves, the same set-up trains with the call moved"


class ClearedSGD(torch.optim.SGD):
    """SGD whose gradients were cleared after backward and before the step."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.zero_()
        return super().step(closure)


SETUP = dict(
    model=lambda: clinic.mlp([16, 64, 64, 4]),
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    optimizer=lambda params, lr, beta, weight_decay: ClearedSGD(params, lr=lr, momentum=beta),
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=10,
)
CURE = dict(optimizer="sgd")
recipe = dd.Recipe(name="h3-of-zero-grad-before-step", **SETUP)
