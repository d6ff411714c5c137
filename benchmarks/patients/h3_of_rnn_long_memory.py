"""Fault: vanishing gradients through time. Each example is a sequence of 50 noisy readings; the
label is the sign of the *first* reading (Bayes error Φ(−1/0.5) = 2.3 %, the first reading's own
noise; not given), and the model is a plain tanh RNN read out at its last step. The gradient from
the label must cross 50 tanh steps and fades to nothing, so the network never links the answer to
the first reading and stays near chance, although an RNN can represent the copy. Cure: a GRU,
whose gates carry the gradient across the sequence."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = (
    "Bengio et al. 1994 / Pascanu et al. 2013 (vanishing gradients in RNNs); DeepDiagnosis & "
    "AUTOTRAINER symptom: vanishing gradient; DeepFD: layer-type fault"
)
EXPECTED = ("optimization_failure", "high_bias")
WHY = (
    "the gradient cannot reach the first step (optimisation), and the cure is an architecture change "
    "that a reader may call capacity (bias): both readings name the cause"
)

STEPS = 50
TRUE_BAYES = 0.02275


def sample(n, rng):
    y = rng.integers(0, 2, size=n)
    x = rng.standard_normal((n, STEPS, 1))
    x[:, 0, 0] = np.where(y == 1, 1.0, -1.0) + 0.5 * rng.standard_normal(n)
    return x.astype(np.float32), y


class LastStep(nn.Module):
    """A recurrent layer read out at the last step, then a linear head."""

    def __init__(self, cell=nn.RNN):
        super().__init__()
        self.rnn = cell(1, 32, batch_first=True)
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


SETUP = dict(
    model=LastStep,
    data=lambda seed: clinic.splits(sample, seed, 3000, 1000, 1000),
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(model=lambda: LastStep(nn.GRU))
recipe = dd.Recipe(name="h3-of-rnn-long-memory", **SETUP)
