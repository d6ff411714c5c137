"""Fault: exploding forward signal in a deep residual network without normalisation. Forty
residual blocks x + f(x), each f a default-initialised two-layer ReLU MLP, and nothing rescales the
sum: the activations grow block after block, the first logits are in the thousands, and
SGD with momentum at lr 0.02 takes huge steps, the loss turns to inf/NaN or the units die.
Digits, which the same network learns when each block is pre-normalised (LayerNorm).
Cure: LayerNorm at the start of each block."""

import clinic
from torch import nn

import dldoctor as dd

SOURCE = (
    "AUTOTRAINER / DeepDiagnosis: exploding gradients (loss → NaN); DEFault: weight/initialisation "
    "fault; TheDeepChecker: activations growing layer by layer"
)
EXPECTED = "optimization_failure"
WHY = "the loss blows up in the first steps and the model ends at chance; normalised blocks train fine"


class Block(nn.Module):
    def __init__(self, width, normalised):
        super().__init__()
        norm = nn.LayerNorm(width) if normalised else nn.Identity()
        self.body = nn.Sequential(norm, nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, x):
        return x + self.body(x)


def deep_residual(normalised=False, blocks=40, width=64):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, width),
        *[Block(width, normalised) for _ in range(blocks)],
        nn.Linear(width, 10),
    )


SETUP = dict(
    model=deep_residual,
    data=clinic.digits_splits,
    optimizer="sgd",
    lr=0.02,
    beta=0.9,
    batch_size=64,
    epochs=15,
)
CURE = dict(model=lambda: deep_residual(normalised=True))
recipe = dd.Recipe(name="h4-of-deep-residual-unscaled", **SETUP)
