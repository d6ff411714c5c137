"""Healthy control (token sequences, an embedding model, AdamW): "reviews" of 12 words from a
60-word vocabulary; each word carries a fixed polarity and a review is positive when its words'
polarities sum above zero; 8 % of labels in every split were flipped (annotator mistakes). A
bag-of-embeddings model (embed, average, small MLP) represents the rule exactly, so the Bayes error
is the 8 % flip rate, given. 20,000 training reviews, a cosine schedule."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: text classification with a learnt embedding (UMLAUT / DeepDiagnosis-style NLP run)"
EXPECTED = "healthy"
WHY = "train ≈ train-dev ≈ dev ≈ the given 8 %: the embedding model learnt the rule and nothing more"

TRUE_BAYES = 0.08
VOCABULARY = 60
POLARITY = np.random.default_rng(11).standard_normal(VOCABULARY)


def sample(n, rng):
    tokens, y = clinic.reviews(n, rng, POLARITY, np.arange(VOCABULARY))
    return tokens, clinic.flip_labels(y, TRUE_BAYES, 2, rng)


SETUP = dict(
    model=lambda: clinic.BagOfEmbeddings(VOCABULARY),
    data=lambda seed: clinic.splits(sample, seed, 20000, 2000, 2000),
    bayes_error=TRUE_BAYES,
    optimizer="adamw",
    lr=3e-3,
    weight_decay=1e-2,
    scheduler="cosine",
    batch_size=64,
    epochs=12,
)
REFERENCE = dict(model=lambda: clinic.BagOfEmbeddings(VOCABULARY, dim=64, hidden=128), epochs=24)
recipe = dd.Recipe(name="h4-healthy-bag-of-words-sentiment", **SETUP)
