"""Fault: a temperature applied the wrong way round. The model divides its logits by 1,000 (a
"temperature" meant for distillation, left in the training graph), so the softmax stays uniform
and the cross-entropy's gradients reaching the weights are a thousand times smaller. With plain
SGD at lr 0.05 nothing useful is learnt in 15 epochs: the network ends no better than chance on
the two moons (noise 0.15), which the same network fits within a few epochs at temperature 1.
Cure: no division."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: model-output fault (wrong scaling before the loss); AUTOTRAINER symptom: "
    "slow convergence / loss that does not fall"
)
EXPECTED = "optimization_failure"
WHY = (
    "the loss stays near log 2, the error no better than chance; the same model and optimiser fit without it"
)


class Scaled(nn.Module):
    def __init__(self, divisor):
        super().__init__()
        self.divisor = divisor

    def forward(self, x):
        return x / self.divisor


def tempered_mlp(divisor=1000.0):
    return nn.Sequential(clinic.mlp([2, 64, 64, 2]), Scaled(divisor))


SETUP = dict(
    model=tempered_mlp,
    data=lambda seed: clinic.splits(lambda n, rng: clinic.moons(n, rng, noise=0.15), seed, 4000, 1000, 1000),
    optimizer="sgd",
    lr=0.05,
    beta=0.0,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: tempered_mlp(1.0))
recipe = dd.Recipe(name="h4-of-logits-divided-by-thousand", **SETUP)
