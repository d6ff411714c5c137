"""Where the regression error is: the largest residuals, and the error by range of the target.

A model can be fine on typical targets and poor at the extremes; binning by the target's quantiles
shows which range the squared error comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dldoctor.stats import Estimate, mean_interval

LARGEST = 10
TARGET_BINS = 5


@dataclass(frozen=True)
class Residual:
    index: int
    target: float  # mean over outputs for a multi-output target
    prediction: float
    squared_error: float


@dataclass(frozen=True)
class TargetBin:
    """Examples whose target lies in [low, high] (quantile bins), and their mean squared error."""

    low: float
    high: float
    error: Estimate
    share_of_error: float


@dataclass(frozen=True)
class Residuals:
    largest: tuple[Residual, ...]
    bins: tuple[TargetBin, ...]


def residuals(
    targets: np.ndarray,
    predictions: np.ndarray,
    index: np.ndarray | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> Residuals:
    """The largest squared errors, and the error in each quantile bin of the (mean) target."""
    n = len(targets)
    y = np.asarray(targets, dtype=np.float64).reshape(n, -1)
    out = np.asarray(predictions, dtype=np.float64).reshape(n, -1)
    squared = np.square(out - y).mean(axis=1)
    rows = np.arange(n) if index is None else np.asarray(index)
    top = np.argsort(-squared, kind="stable")[:LARGEST]
    largest = tuple(
        Residual(int(rows[i]), float(y[i].mean()), float(out[i].mean()), float(squared[i])) for i in top
    )
    return Residuals(largest, _bins(y.mean(axis=1), squared, confidence, seed))


def _bins(target: np.ndarray, squared: np.ndarray, confidence: float, seed: int) -> tuple[TargetBin, ...]:
    edges = np.unique(np.quantile(target, np.linspace(0, 1, TARGET_BINS + 1)))
    members = np.clip(np.searchsorted(edges, target, side="right") - 1, 0, max(len(edges) - 2, 0))
    total = float(squared.sum()) or 1.0
    return tuple(
        TargetBin(
            float(edges[b]),
            float(edges[min(b + 1, len(edges) - 1)]),
            mean_interval(squared[members == b], confidence, seed),
            float(squared[members == b].sum()) / total,
        )
        for b in range(max(len(edges) - 1, 1))
        if (members == b).any()
    )
