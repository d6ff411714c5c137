"""Handwritten digits (scikit-learn's bundled 8×8 images) and a two-layer MLP — the README demo.

Expected verdict: borderline high variance. The MLP fits train (0 %) and reads 3–5 % on train-dev
and dev, 0.5–2.5 points above the estimated Bayes error (≈ 2.2–2.5 %, which a cross-fitted RBF
kernel model's held-out error bounds; an RBF SVM reaches 1.8 %); on 500 dev examples the seed
decides whether that is material: healthy, inconclusive or high variance.
"""

from toolkit import digits, mlp, shuffled_split

import dldoctor as dd


def make_model(hidden: int = 128):
    return mlp([64, hidden, hidden, 10])


def make_data(seed: int) -> dd.Splits:
    x, y = digits()
    train, train_dev, dev = shuffled_split(len(y), [800, 500], seed)
    return dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]), dev=(x[dev], y[dev]))


recipe = dd.Recipe(
    name="digits-mlp",
    model=make_model,
    data=make_data,
    task="classification",
    optimizer="adam",
    lr=1e-3,
    beta=0.9,
    batch_size=64,
    epochs=50,
    description="scikit-learn digits: 800 train / 500 train-dev / 497 dev; MLP 64-128-128-10, Adam.",
)
