"""Fault: leakage through grouped records. Each of 600 patients has 5 visits whose measurements
differ only by small noise (σ = 0.3 around the patient's own profile in 12-D; two overlapping
classes, per-visit Bayes error Φ(−1.2/√1.09) ≈ 12.5 %, not given). The dev set was split by *visit*:
its 1,000 visits belong to patients whose other visits are in train. A wide MLP memorises the
patients and scores on dev almost as on train. The train-dev set is 200 new patients (1,000 visits),
as it should be. Cure: dev = another 200 new patients."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L1: non-independence between train and test — same patient "
    "in both); DEFault: data-split fault"
)
EXPECTED = "data_leakage"
WHY = "dev visits belong to training patients: dev error falls toward the train error, far below train-dev"

VISITS = 5


def patients(n, rng):
    """n patient profiles: two overlapping Gaussian classes in 12-D."""
    return clinic.two_gaussians(n, rng, dim=12, half_gap=1.2)


def visits(profile, label, rng):
    x = np.repeat(profile, VISITS, axis=0) + 0.3 * rng.standard_normal(
        (len(label) * VISITS, profile.shape[1])
    )
    return x.astype(np.float32), np.repeat(label, VISITS)


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    (x, y), train_dev = visits(*patients(600, rng), rng), visits(*patients(200, rng), rng)
    order = rng.permutation(len(y))
    fit, held = order[1000:], order[:1000]
    dev = (x[held], y[held]) if leak else visits(*patients(200, rng), rng)
    return dd.Splits(train=(x[fit], y[fit]), train_dev=train_dev, dev=dev)


SETUP = dict(
    model=lambda: clinic.mlp([12, 256, 256, 2]),
    data=make_data,
    lr=1e-3,
    batch_size=64,
    epochs=25,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="h2-dl-patient-level-split", **SETUP)
