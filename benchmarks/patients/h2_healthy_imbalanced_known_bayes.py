"""Healthy control with imbalanced classes: 90 % negatives, 10 % positives, two unit-variance
Gaussians in 6-D whose means differ by 2.5 on the first axis. With these priors the Bayes rule moves
its threshold toward the rare class and errs on 5.05 % of examples (computed in closed form below,
given); always answering "negative" errs on 10 %. An MLP trained with AdamW sits at the Bayes error."""

import math

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: imbalanced classes with a known Bayes error (DeepCrime unbalance_train_data, healthy twin)"
EXPECTED = "healthy"
WHY = "errors sit at the closed-form Bayes error 5.05 % on same-distribution splits; imbalance is not a fault"

PRIOR, HALF_GAP = 0.1, 1.25


def bayes_error(prior=PRIOR, a=HALF_GAP):
    """Two Gaussians at ±a with priors (1 − prior, prior): the likelihood-ratio threshold's error."""
    t = math.log((1 - prior) / prior) / (2 * a)
    return (1 - prior) * (1 - clinic.normal_cdf(t + a)) + prior * clinic.normal_cdf(t - a)


def sample(n, rng):
    y = (rng.random(n) < PRIOR).astype(np.int64)
    x = rng.standard_normal((n, 6))
    x[:, 0] += np.where(y == 1, HALF_GAP, -HALF_GAP)
    return x.astype(np.float32), y


SETUP = dict(
    model=lambda: clinic.mlp([6, 32, 2]),
    data=lambda seed: clinic.splits(sample, seed, 6000, 2000, 2000),
    bayes_error=bayes_error(),
    optimizer="adamw",
    lr=3e-3,
    weight_decay=1e-2,
    batch_size=128,
    epochs=15,
)
REFERENCE = dict(model=lambda: clinic.mlp([6, 128, 128, 2]), epochs=30)
recipe = dd.Recipe(name="h2-healthy-imbalanced-known-bayes", **SETUP)
