"""Fault: high variance through an identifier column. Each training row carries a unique row id
(an order number) next to 6 weak features; the model embeds the id in 16 dimensions, as it would a
real categorical column. Labels follow a logistic model of the features (Bayes error ≈ 22 %, Monte
Carlo below, not given). The id embeddings let the network memorise every training label (train
error → 0), but held-out rows have ids it never trained, whose random embeddings add noise to every
prediction: train-dev and dev are well above the Bayes error. Cure: ignore the id column."""

import clinic
import numpy as np
import torch
from torch import nn

import dldoctor as dd

SOURCE = (
    "Kaggle/tabular practice: memorising through a unique-id feature; Ng's course: high variance; "
    "DEFault: model/feature fault"
)
EXPECTED = "high_variance"
WHY = "train error ≈ 0 against a ~22 % floor, train-dev ≈ dev far above train: the ids were memorised"

IDS = 10_000
WEIGHTS = np.array([0.9, -0.7, 0.5, 0.4, -0.3, 0.2])


def probability(x):
    return 1 / (1 + np.exp(-1.5 * (x @ WEIGHTS)))


def monte_carlo_bayes(n=400_000):
    p = probability(np.random.default_rng(0).standard_normal((n, 6)))
    return float(np.minimum(p, 1 - p).mean())


TRUE_BAYES = monte_carlo_bayes()


def make_data(seed):
    rng = np.random.default_rng(seed)
    ids = rng.permutation(IDS)

    def rows(start, stop):
        x = rng.standard_normal((stop - start, 6)).astype(np.float32)
        y = (rng.random(stop - start) < probability(x)).astype(np.int64)
        return (x, ids[start:stop]), y

    return dd.Splits(train=rows(0, 3000), train_dev=rows(3000, 4000), dev=rows(4000, 5000))


class FeaturesAndId(nn.Module):
    def __init__(self, use_id=True):
        super().__init__()
        self.use_id = use_id
        self.id = nn.Embedding(IDS, 16)
        self.head = clinic.mlp([22, 128, 2], flatten=False)

    def forward(self, features, row_id):
        embedded = self.id(row_id.long()) * (1.0 if self.use_id else 0.0)
        return self.head(torch.cat([features, embedded], 1))


SETUP = dict(
    model=FeaturesAndId,
    data=make_data,
    lr=3e-3,
    batch_size=64,
    epochs=40,
)
CURE = dict(model=lambda: FeaturesAndId(use_id=False))
recipe = dd.Recipe(name="h3-hv-row-id-embedding", **SETUP)
