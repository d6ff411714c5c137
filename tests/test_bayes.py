"""Bayes-error estimates against truths known by construction (issue 4 adds the full study)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dldoctor as dd
from dldoctor import bayes
from dldoctor.data import prepare
from dldoctor.stats import Estimate

CPU = torch.device("cpu")
NO_CAP = Estimate(1.0, 1.0, 1.0)


def test_neighbours_match_brute_force():
    x = torch.randn(300, 5, generator=torch.Generator().manual_seed(0))
    found = bayes.neighbours(x, 3)
    dist = torch.cdist(x, x)
    dist.fill_diagonal_(float("inf"))
    assert torch.equal(found, dist.topk(3, largest=False).indices)


def test_chunked_neighbours_agree_with_one_block(monkeypatch):
    x = torch.randn(500, 4, generator=torch.Generator().manual_seed(1))
    whole = bayes.neighbours(x, 2)
    monkeypatch.setattr(bayes, "_DISTANCE_BUDGET", 7 * 500)
    assert torch.equal(bayes.neighbours(x, 2), whole)


def flipped_labels(n: int, flip: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three far-apart classes; each label moves to another class with probability `flip`."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = 8.0 * np.eye(3, 2)[y] + rng.standard_normal((n, 2))
    moved = rng.random(n) < flip
    y[moved] = (y[moved] + rng.integers(1, 3, moved.sum())) % 3
    return x.astype(np.float32), y


def test_label_noise_rate_is_recovered():
    data = prepare(
        dd.Splits(train=flipped_labels(3000, 0.2, 0), dev=flipped_labels(10, 0.2, 1)),
        "classification",
        CPU,
        0,
    )
    est = bayes.estimate(data, "classification", 3, NO_CAP)
    assert est.source == "estimated" and est.estimate.value == pytest.approx(0.2, abs=0.03)
    assert est.estimate.low <= 0.2 <= est.estimate.high
    assert est.details["cover_hart_lower"] <= est.estimate.value


def test_regression_noise_variance_is_recovered():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(4000, 2)).astype(np.float32)
    y = (np.sin(x[:, 0]) + 0.5 * x[:, 1] + rng.normal(0, 0.5, 4000)).astype(np.float32)
    data = prepare(dd.Splits(train=(x, y), dev=(x[:10], y[:10])), "regression", CPU, 0)
    est = bayes.estimate(data, "regression", None, NO_CAP)
    assert est.estimate.value == pytest.approx(0.25, abs=0.04)


def test_estimate_is_capped_by_a_held_out_error():
    data = prepare(
        dd.Splits(train=flipped_labels(2000, 0.3, 0), dev=flipped_labels(10, 0.3, 1)),
        "classification",
        CPU,
        0,
    )
    capped = bayes.estimate(data, "classification", 3, Estimate(0.1, 0.08, 0.12))
    assert capped.estimate.value == 0.1 and capped.estimate.high <= 0.12
    assert "capped" in capped.method


def test_integer_inputs_get_no_estimate():
    x = np.random.default_rng(0).integers(0, 50, size=(200, 6))
    y = np.random.default_rng(1).integers(0, 2, size=200)
    data = prepare(dd.Splits(train=(x, y), dev=(x, y)), "classification", CPU, 0)
    est = bayes.estimate(data, "classification", 2, NO_CAP)
    assert est.estimate is None and est.source == "unavailable" and "bayes_error" in est.method


def test_given_value_is_exact():
    given = bayes.given(0.05)
    assert given.source == "given" and given.estimate.interval == (0.05, 0.05)
