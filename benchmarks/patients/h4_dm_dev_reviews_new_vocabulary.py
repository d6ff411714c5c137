"""Fault: the dev text comes from another domain that expresses sentiment with other words. Reviews
of 12 words; 40 sentiment words with fixed polarities and 20 neutral ones in the training domain
(label = sign of the summed polarity, 5 % flipped: Bayes error 5 %, given). The dev reviews come
from a second product line whose writers use 40 different words (their own ids, same polarities)
for the same sentiments — words the model never saw, whose embeddings stay at their random
start. Train-dev is from the training domain. Cure: dev reviews from the training domain."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Ng's course: data mismatch (train from one source, dev from the one you care about); domain "
    "shift in text (vocabulary shift)"
)
EXPECTED = "data_mismatch"
WHY = "train ≈ train-dev ≈ 5 %, dev tens of points above: dev reviews use words the training data never had"

TRUE_BAYES = 0.05
VOCABULARY = 100
POLARITY = np.concatenate([np.tile(np.random.default_rng(13).standard_normal(40), 2), np.zeros(20)])
TRAIN_WORDS = np.r_[0:40, 80:100]
DEV_WORDS = np.r_[40:100]


def sample(n, rng, words=TRAIN_WORDS):
    tokens, y = clinic.reviews(n, rng, POLARITY, words)
    return tokens, clinic.flip_labels(y, TRUE_BAYES, 2, rng)


def make_data(seed, new_domain=True):
    rng = np.random.default_rng(seed)
    train, train_dev = sample(10000, rng), sample(2000, rng)
    dev = sample(2000, rng, DEV_WORDS if new_domain else TRAIN_WORDS)
    return dd.Splits(train=train, train_dev=train_dev, dev=dev)


SETUP = dict(
    model=lambda: clinic.BagOfEmbeddings(VOCABULARY),
    data=make_data,
    bayes_error=TRUE_BAYES,
    lr=3e-3,
    batch_size=64,
    epochs=12,
)
CURE = dict(data=lambda seed: make_data(seed, new_domain=False))
recipe = dd.Recipe(name="h4-dm-dev-reviews-new-vocabulary", **SETUP)
