"""Irreducible-noise estimators for regression: nearest-neighbour differences and the Gamma test."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from dldoctor.bayes.candidates import Candidate
from dldoctor.neighbours import neighbours
from dldoctor.stats import BOOTSTRAP_RESAMPLES, mean_interval

GAMMA_NEIGHBOURS = 10


def noise_variance(
    features: torch.Tensor, y: torch.Tensor, representation: str, confidence: float, seed: int = 0
) -> tuple[Candidate, Candidate]:
    """(nearest-neighbour difference, Gamma test) estimates of the noise variance σ².

    Both start from γ_i(p) = ½·mean((y_i − y_N(i,p))²). The first averages γ(1): it also counts how
    much f changes between neighbours, so it runs high as the dimension grows. The Gamma test
    regresses the mean γ(p) on the mean squared distance δ(p) over p = 1..10 neighbours; the
    intercept is the noise variance with that change extrapolated away.
    """
    started = time.perf_counter()
    n, dimension = features.shape
    p = min(GAMMA_NEIGHBOURS, n - 1)
    near, dist = neighbours(features, p)
    targets = y.reshape(n, -1).double()
    gamma = 0.5 * (targets[:, None, :] - targets[near]).square().mean(dim=2)
    gamma_np, delta_np = gamma.cpu().numpy(), dist.double().cpu().numpy()
    nn_diff = mean_interval(gamma_np[:, 0], confidence, seed)
    nn_seconds = time.perf_counter() - started
    value, low, high = (max(0.0, v) for v in gamma_test(delta_np, gamma_np, confidence, seed))
    common: dict[str, Any] = {"representation": representation, "dimension": dimension, "n": n}
    return (
        Candidate(
            f"nn_difference.{representation}",
            nn_diff.value,
            nn_diff.low,
            nn_diff.high,
            "point",
            **common,
            seconds=nn_seconds,
        ),
        Candidate(
            f"gamma.{representation}",
            value,
            low,
            high,
            "point",
            **common,
            seconds=time.perf_counter() - started,
            note=f"{p} neighbours",
        ),
    )


def gamma_test(
    delta: np.ndarray, gamma: np.ndarray, confidence: float, seed: int = 0
) -> tuple[float, float, float]:
    """Intercept of γ(p) on δ(p), and its percentile bootstrap over examples (neighbours held fixed)."""
    n = len(delta)
    value = _intercept(delta.mean(axis=0), gamma.mean(axis=0))
    rng = np.random.default_rng(seed)
    intercepts = []
    chunk = max(1, 2_000_000 // n)
    for start in range(0, BOOTSTRAP_RESAMPLES, chunk):
        size = min(chunk, BOOTSTRAP_RESAMPLES - start)
        rows = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        weights = np.bincount(rows.ravel(), minlength=size * n).reshape(size, n) / n  # resampled rows
        intercepts.append(_intercepts(weights @ delta, weights @ gamma))
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.concatenate(intercepts), [tail, 1 - tail])
    return value, float(low), float(high)


def _intercept(d: np.ndarray, g: np.ndarray) -> float:
    return float(_intercepts(d[None, :], g[None, :])[0])


def _intercepts(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Least-squares intercepts of g on d, row by row."""
    dc = d - d.mean(axis=1, keepdims=True)
    var = np.square(dc).sum(axis=1)
    covariance = (dc * (g - g.mean(axis=1, keepdims=True))).sum(axis=1)
    slope = np.divide(covariance, var, out=np.zeros_like(var), where=var > 0)
    return g.mean(axis=1) - slope * d.mean(axis=1)
