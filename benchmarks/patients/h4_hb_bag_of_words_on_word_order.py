"""Fault: an order-blind model for an order-dependent task. Each 10-token sequence holds one
"open" token and one "close" token among filler words; the label says whether "open" comes first,
with 5 % of labels flipped (Bayes error 5 %, given); 16,000 training sequences. A
bag-of-embeddings model averages the token embeddings, so both orders look identical to it and it
sits near chance on its own training set. Cure: keep the positions (embed each token, concatenate
the sequence, then the MLP)."""

import clinic
import numpy as np
from torch import nn

import dldoctor as dd

SOURCE = (
    "DeepFD / DEFault: architecture fault (a model that cannot represent the task); Ng's course: "
    "high bias — a different architecture"
)
EXPECTED = "high_bias"
WHY = "train error ≈ 50 % against a given 5 % Bayes error, dev the same: the model cannot fit"

TRUE_BAYES = 0.05
VOCABULARY, LENGTH = 20, 10


def sample(n, rng):
    tokens = rng.integers(2, VOCABULARY, size=(n, LENGTH))
    places = np.argsort(rng.random((n, LENGTH)), 1)[:, :2]
    rows = np.arange(n)
    tokens[rows, places[:, 0]] = 0
    tokens[rows, places[:, 1]] = 1
    y = (places[:, 0] < places[:, 1]).astype(np.int64)
    return tokens, clinic.flip_labels(y, TRUE_BAYES, 2, rng)


class PositionalEmbeddings(nn.Module):
    """Embed every token and concatenate them in order: the MLP sees which token sits where."""

    def __init__(self, dim=8):
        super().__init__()
        self.embed = nn.Embedding(VOCABULARY, dim)
        self.head = clinic.mlp([LENGTH * dim, 64, 2])

    def forward(self, tokens):
        return self.head(self.embed(tokens.long()))


SETUP = dict(
    model=lambda: clinic.BagOfEmbeddings(VOCABULARY),
    data=lambda seed: clinic.splits(sample, seed, 16000, 2000, 2000),
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=8,
)
CURE = dict(model=PositionalEmbeddings)
recipe = dd.Recipe(name="h4-hb-bag-of-words-on-word-order", **SETUP)
