"""The train-dev vs dev two-sample test: valid on one distribution, sensitive to a shift."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.mismatch import mismatch_test, mmd_test

ALPHA = 0.05
SEEDS = 200


def _allowed_false_alarms(seeds: int, alpha: float) -> int:
    """A valid test rejects Binomial(seeds, ≤ alpha) times; allow two standard deviations of that."""
    return math.floor(seeds * alpha + 2 * math.sqrt(seeds * alpha * (1 - alpha)))


def test_same_distribution_rejects_at_most_alpha_of_the_time():
    rejected = 0
    for seed in range(SEEDS):
        g = torch.Generator().manual_seed(seed)
        a, b = torch.randn(60, 5, generator=g), torch.randn(80, 5, generator=g)
        rejected += mmd_test(a, b, permutations=199, seed=seed).p_value <= ALPHA
    assert rejected <= _allowed_false_alarms(SEEDS, ALPHA)


def test_a_shifted_dev_set_is_detected():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(200, 5, generator=g), torch.randn(200, 5, generator=g)
    b[:, 0] += 0.75
    found = mmd_test(a, b, seed=0)
    assert found.p_value < 0.01 and found.mmd > 0


def _blobs(n: int, seed: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = 3.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4)) + shift
    return x.astype(np.float32), y


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def test_through_the_model_same_distribution_false_alarms_stay_below_alpha():
    model, seeds = _model(), 60
    rejected = 0
    for seed in range(seeds):
        splits = dd.Splits(train=_blobs(40, seed), train_dev=_blobs(150, seed + 1), dev=_blobs(150, seed + 2))
        data = prepare(splits, "classification", torch.device("cpu"), seed)
        rejected += mismatch_test(model, data, seed, permutations=199).p_value <= ALPHA
    assert rejected <= _allowed_false_alarms(seeds, ALPHA)


def test_through_the_model_a_shifted_dev_set_is_detected_on_the_embedding():
    splits = dd.Splits(train=_blobs(40, 0), train_dev=_blobs(300, 1), dev=_blobs(300, 2, shift=0.5))
    data = prepare(splits, "classification", torch.device("cpu"), 0)
    found = mismatch_test(_model(), data, 0)
    assert found.representation == "embedding" and found.p_value < 0.01


def test_mismatch_test_reaches_the_data_mismatch_finding(tmp_path):
    from dldoctor.diagnosis import conclude
    from dldoctor.diagnosis.evidence import Evidence, MismatchTest, Policy, Setup, TrainingSignals
    from dldoctor.stats import wilson

    test = MismatchTest(0.1, 0.002, 0.32, 500, 500, 499, 1.0, "embedding")
    evidence = Evidence(
        task="classification",
        scale=1.0,
        errors={"train": wilson(10, 1000), "train_dev": wilson(10, 1000), "dev": wilson(150, 1000)},
        bayes=None,
        training=TrainingSignals(1.0, 0.1, (0.5, 0.1), (0.2, 0.15)),
        setup=Setup("adam", 1e-3, 0.9, 64, 2, 0.0, 1000),
        mismatch=test,
    )
    diagnosis = conclude(evidence, Policy())
    assert diagnosis.verdict == "data_mismatch"
    assert diagnosis.findings[0].evidence["mismatch_test"]["p_value"] == 0.002
