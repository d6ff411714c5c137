"""Healthy control (structured inputs, a tuple of two arrays): each example is 5 numeric readings
plus the id of one of 20 stores; the label is drawn from a logistic model whose offset depends on
the store, P(y = 1) = σ(2·(w·x + b_store)). The model embeds the store id and concatenates it with
the readings, as a tabular model with a categorical column does. Bayes error ≈ 13 % (Monte Carlo
from the true probabilities, below; not given). 8,000 training rows."""

import clinic
import numpy as np
import torch
from torch import nn

import dldoctor as dd

SOURCE = "control: tabular data with a categorical column as a second input (README: several inputs)"
EXPECTED = "healthy"
WHY = "the store effect is learnt from ~400 rows per store: train ≈ train-dev ≈ dev ≈ the Bayes error"

STORES = 20
WEIGHTS = np.array([1.0, -0.8, 0.6, 0.4, -0.3])
OFFSETS = np.random.default_rng(77).normal(0, 1.0, STORES)


def probability(x, store):
    return 1 / (1 + np.exp(-2 * (x @ WEIGHTS + OFFSETS[store])))


def sample(n, rng):
    x = rng.standard_normal((n, 5)).astype(np.float32)
    store = rng.integers(0, STORES, size=n)
    y = (rng.random(n) < probability(x, store)).astype(np.int64)
    return (x, store), y


def monte_carlo_bayes(n=400_000):
    rng = np.random.default_rng(0)
    p = probability(rng.standard_normal((n, 5)), rng.integers(0, STORES, size=n))
    return float(np.minimum(p, 1 - p).mean())


TRUE_BAYES = monte_carlo_bayes()


class ReadingsAndStore(nn.Module):
    """Readings concatenated with a learnt 4-D store embedding, then an MLP."""

    def __init__(self):
        super().__init__()
        self.store = nn.Embedding(STORES, 4)
        self.head = clinic.mlp([9, 32, 2], flatten=False)

    def forward(self, readings, store):
        return self.head(torch.cat([readings, self.store(store.long())], 1))


SETUP = dict(
    model=ReadingsAndStore,
    data=lambda seed: clinic.splits(sample, seed, 8000, 2000, 2000),
    lr=3e-3,
    batch_size=128,
    epochs=15,
)
recipe = dd.Recipe(name="h3-healthy-tuple-inputs-store-embedding", **SETUP)
