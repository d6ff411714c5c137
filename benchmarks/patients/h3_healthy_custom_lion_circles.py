"""Healthy control (a custom optimiser class): two noisy concentric circles (scikit-learn's
make_circles, noise 0.12; the rings overlap a little, Bayes error ≈ 2–3 %, estimated), a 64-64 MLP
trained with a hand-written Lion optimiser (the sign of an interpolated momentum, decoupled weight
decay) passed as the recipe's optimiser factory. 5,000 training points."""

import clinic
import torch

import dldoctor as dd

SOURCE = "control: a custom torch.optim.Optimizer subclass (Lion, Chen et al. 2023) on a non-linear boundary"
EXPECTED = "healthy"
WHY = "the custom optimiser trains the MLP to the overlap floor: train ≈ train-dev ≈ dev"


class Lion(torch.optim.Optimizer):
    """Step by lr × sign(β1·m + (1 − β1)·g), then m ← β2·m + (1 − β2)·g."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.99, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                m = self.state[p].setdefault("m", torch.zeros_like(p))
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(group["beta1"] * m + (1 - group["beta1"]) * p.grad), alpha=-group["lr"])
                m.mul_(group["beta2"]).add_(p.grad, alpha=1 - group["beta2"])


def rings(n, rng):
    return clinic.circles(n, rng, noise=0.12)


SETUP = dict(
    model=lambda: clinic.mlp([2, 64, 64, 2]),
    data=lambda seed: clinic.splits(rings, seed, 5000, 1500, 1500),
    optimizer=lambda params, lr, beta, weight_decay: Lion(params, lr, beta, 0.99, weight_decay),
    lr=3e-4,
    weight_decay=1e-2,
    batch_size=64,
    epochs=20,
)
REFERENCE = dict(optimizer="adam", lr=1e-3, weight_decay=0.0, epochs=40)
recipe = dd.Recipe(name="h3-healthy-custom-lion-circles", **SETUP)
