"""Healthy control (multilabel, AdamW, Bayes estimated): four yes/no labels, each "which side of a
fixed hyperplane" in 6-D Gaussian inputs, and each label flipped independently with probability
8 % (annotator noise). The clean rules are deterministic, so the per-label Bayes error is exactly
8 % — not given, dldoctor must estimate it. 8,000 training rows and an MLP with one logit per label."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = "control: multilabel with known symmetric label noise (README multilabel task; issue 10 class 1)"
EXPECTED = "healthy"
WHY = (
    "every split within ~2 points of the 8 % flip rate (the Bayes error); a 4× wider, longer-trained "
    "net gains under a point"
)

TRUE_BAYES = 0.08
NORMALS = np.random.default_rng(1234).standard_normal((6, 4))


def sample(n, rng):
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x @ NORMALS > 0).astype(np.float32)
    flip = rng.random(y.shape) < TRUE_BAYES
    return x, np.where(flip, 1 - y, y).astype(np.float32)


SETUP = dict(
    model=lambda: clinic.mlp([6, 64, 4]),
    data=lambda seed: clinic.splits(sample, seed, 8000, 2000, 2000),
    task="multilabel",
    optimizer="adamw",
    lr=3e-3,
    weight_decay=1e-2,
    batch_size=128,
    epochs=15,
)
REFERENCE = dict(model=lambda: clinic.mlp([6, 256, 256, 4]), epochs=30)
recipe = dd.Recipe(name="h3-healthy-multilabel-noisy-halfspaces", **SETUP)
