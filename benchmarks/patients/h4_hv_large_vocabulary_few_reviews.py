"""Fault: too few examples for a large vocabulary. Reviews of 10 words from a 1,000-word vocabulary
(each word's polarity fixed, label = the sign of their sum, 5 % of labels flipped: Bayes error 5 %,
given), but only 200 training reviews — about 2,000 word occurrences, so most words are seen once
or twice, many never. A 32-dimensional embedding model trained 60 epochs memorises which review is which
(train error 0) and reads new reviews, full of words it barely saw, far worse. Cure: 30,000
training reviews and an embedding sized to them (8 dimensions)."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: high variance — more data; DeepCrime: change training data size; UMLAUT: "
    "overfitting on a text model"
)
EXPECTED = "high_variance"
WHY = "train error ≈ 0 under a given 5 % floor, train-dev ≈ dev tens of points above: memorisation"

TRUE_BAYES = 0.05
VOCABULARY = 1000
POLARITY = np.random.default_rng(12).standard_normal(VOCABULARY)


def sample(n, rng):
    tokens, y = clinic.reviews(n, rng, POLARITY, np.arange(VOCABULARY), length=10)
    return tokens, clinic.flip_labels(y, TRUE_BAYES, 2, rng)


SETUP = dict(
    model=lambda: clinic.BagOfEmbeddings(VOCABULARY, dim=32, hidden=64),
    data=lambda seed: clinic.splits(sample, seed, 200, 2000, 2000),
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=32,
    epochs=60,
)
CURE = dict(
    model=lambda: clinic.BagOfEmbeddings(VOCABULARY, dim=8, hidden=16),
    data=lambda seed: clinic.splits(sample, seed, 30000, 2000, 2000),
    epochs=5,
)
recipe = dd.Recipe(name="h4-hv-large-vocabulary-few-reviews", **SETUP)
