"""Healthy control (imbalanced classes, small dev set, Bayes estimated): three Gaussian classes in
8-D with priors 85 / 10 / 5 %, centres 2.5 from the origin on orthogonal axes, so the minority classes overlap
the majority a little (Bayes error ≈ 3.5 %, computed by Monte Carlo below, not given). 5,000 training
examples, but only 300 dev examples — about 15 from the rarest class — as a small team would have."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: imbalanced classes with a small dev set (issue 10 class 1: the interval must absorb noise)"
EXPECTED = "healthy"
WHY = "train and train-dev sit at the Bayes error, dev within its ±2-point sampling noise of it"

CENTRES = 2.5 * np.eye(3, 8)
PRIORS = np.array([0.85, 0.10, 0.05])


def sample(n, rng):
    y = rng.choice(3, size=n, p=PRIORS)
    x = CENTRES[y] + rng.standard_normal((n, 8))
    return x.astype(np.float32), y


def monte_carlo_bayes(n=400_000):
    """The Bayes rule: the largest prior × likelihood (equal unit covariances)."""
    x, y = sample(n, np.random.default_rng(0))
    score = np.log(PRIORS)[None] - 0.5 * ((x[:, None, :] - CENTRES[None]) ** 2).sum(-1)
    return float(np.mean(score.argmax(1) != y))


TRUE_BAYES = monte_carlo_bayes()

SETUP = dict(
    model=lambda: clinic.mlp([8, 32, 3]),
    data=lambda seed: clinic.splits(sample, seed, 5000, 1000, 300),
    optimizer="rmsprop",
    lr=1e-3,
    beta=0.0,
    batch_size=64,
    epochs=15,
)
REFERENCE = dict(model=lambda: clinic.mlp([8, 128, 128, 3]), epochs=30)
recipe = dd.Recipe(name="h3-healthy-imbalanced-small-dev", **SETUP)
