"""Fault: gradients never cleared between steps (the missing `optimizer.zero_grad()`), written as
an optimiser that steps with the running sum of every gradient seen so far — which is what SGD does
when .grad keeps accumulating. The update is a heavy ball with no friction: it overshoots and swings
instead of settling, on four Gaussian classes an MLP fits easily. Cure: plain SGD on each step's
own gradient."""

import clinic
import torch

import dldoctor as dd

SOURCE = (
    "PyTorch mutation operators 'remove call optimizer.zero_grad' (DL mutation testing); DEFault: "
    "training-loop fault; AUTOTRAINER symptom: oscillating loss"
)
EXPECTED = "optimization_failure"
WHY = "every step carries all past gradients: the optimiser cannot settle, the same model fits with SGD"


class AccumulatingSGD(torch.optim.Optimizer):
    """SGD whose gradient buffer is never zeroed: it steps along the sum of all gradients so far."""

    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                total = self.state[p].setdefault("sum", torch.zeros_like(p))
                total.add_(p.grad)
                p.add_(total, alpha=-group["lr"])


SETUP = dict(
    model=lambda: clinic.mlp([16, 64, 64, 4]),
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    optimizer=lambda params, lr, beta, weight_decay: AccumulatingSGD(params, lr),
    lr=0.01,
    batch_size=64,
    epochs=10,
)
CURE = dict(optimizer="sgd", beta=0.0)
recipe = dd.Recipe(name="h2-of-stale-gradients", **SETUP)
