"""Bayes (irreducible) error: taken from the user, or estimated from the training distribution.

Classification uses leave-one-out nearest neighbours on standardised inputs: the 1-NN error R1
gives the Cover–Hart lower bound, the k-NN error (k ≈ sqrt(n)) a point estimate. Regression uses
the nearest-neighbour difference estimate of the noise variance. Both are capped by the model's
own held-out error on the training distribution, since no classifier can beat the Bayes error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from dldoctor.data import Data, flat_features, standardise
from dldoctor.stats import Estimate, mean_interval, wilson

MAX_POINTS = 10_000
HIGH_DIMENSION = 20
_DISTANCE_BUDGET = 1 << 24  # distances held in memory at once


@dataclass(frozen=True)
class BayesEstimate:
    """The Bayes error the diagnosis uses, where it came from and how it was obtained."""

    estimate: Estimate | None  # None when unavailable
    source: str  # "given", "estimated" or "unavailable"
    method: str
    details: dict[str, float] = field(default_factory=dict)
    warning: str | None = None


def given(value: float) -> BayesEstimate:
    return BayesEstimate(Estimate(value, value, value, None, "exact"), "given", "given by the user")


def estimate(
    data: Data,
    task: str,
    num_classes: int | None,
    cap: Estimate,
    confidence: float = 0.95,
    seed: int = 0,
) -> BayesEstimate:
    """Estimate the Bayes error from train and train-dev, capped by `cap` (a held-out error)."""
    x_train, y_train = data.train.sample(MAX_POINTS, seed)
    x_held, y_held = data.train_dev.sample(max(0, MAX_POINTS - len(x_train)), seed)
    x = torch.cat([x_train, x_held])
    y = torch.cat([y_train, y_held])
    if not x.is_floating_point():
        return BayesEstimate(
            None,
            "unavailable",
            "no estimate: inputs are integers (token ids), not distances;"
            " set bayes_error in the recipe or pass --bayes-error",
        )
    (features,) = standardise(flat_features(x))
    if features.shape[1] == 0 or len(features) < 3:
        return BayesEstimate(None, "unavailable", "no estimate: too few examples or varying features")
    if task == "classification":
        raw = _knn_classification(features, y, num_classes or int(y.max()) + 1, confidence)
    else:
        raw = _nn_noise_variance(features, y, confidence)
    capped = _cap(raw.estimate, cap)
    method = raw.method
    if capped.value < raw.estimate.value:
        method += "; capped at the model's own train-dev error (no classifier beats Bayes)"
    warning = None
    if features.shape[1] > HIGH_DIMENSION:
        warning = (
            f"{features.shape[1]} input features: nearest-neighbour estimates run high in this many"
            " dimensions; set bayes_error if you know the human-level error"
        )
    return BayesEstimate(capped, "estimated", method, raw.details, warning)


def neighbours(x: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of each row's k nearest other rows (leave-one-out), in chunks of bounded memory."""
    n = x.shape[0]
    rows = max(1, _DISTANCE_BUDGET // n)
    found = torch.empty(n, k, dtype=torch.long, device=x.device)
    for start in range(0, n, rows):
        block = torch.cdist(x[start : start + rows], x)
        own = torch.arange(block.shape[0], device=x.device)
        block[own, own + start] = math.inf
        found[start : start + rows] = block.topk(k, dim=1, largest=False).indices
    return found


def _knn_classification(
    x: torch.Tensor, y: torch.Tensor, num_classes: int, confidence: float
) -> BayesEstimate:
    n = len(y)
    k = min(n - 1, max(1, int(math.sqrt(n)) | 1))
    near = neighbours(x, k)
    votes = F.one_hot(y[near], num_classes).sum(dim=1).float()
    votes += 0.5 * F.one_hot(y[near[:, 0]], num_classes)  # ties go to the nearest neighbour
    knn_wrong = int((votes.argmax(dim=1) != y).sum())
    one_nn = float((y[near[:, 0]] != y).double().mean())
    ratio = num_classes / (num_classes - 1)
    lower = (1 / ratio) * (1 - math.sqrt(max(0.0, 1 - ratio * one_nn)))
    point = wilson(knn_wrong, n, confidence)
    interval = Estimate(point.value, min(lower, point.value), point.high, n, "cover-hart/wilson")
    return BayesEstimate(
        interval,
        "estimated",
        f"{k}-NN leave-one-out error on standardised inputs (n={n}); Cover–Hart lower bound from 1-NN",
        {
            "knn_error": point.value,
            "k": float(k),
            "one_nn_error": one_nn,
            "cover_hart_lower": lower,
        },
    )


def _nn_noise_variance(x: torch.Tensor, y: torch.Tensor, confidence: float) -> BayesEstimate:
    near = neighbours(x, 1)[:, 0]
    half_sq = 0.5 * (y - y[near]).float().square().reshape(len(y), -1).mean(dim=1)
    interval = mean_interval(half_sq.double().cpu().numpy(), confidence)
    return BayesEstimate(
        interval,
        "estimated",
        f"nearest-neighbour difference noise variance on standardised inputs (n={len(y)})",
        {"noise_variance": interval.value},
    )


def _cap(raw: Estimate, cap: Estimate) -> Estimate:
    """No classifier beats the Bayes error, so a held-out error bounds it from above."""
    value = min(raw.value, cap.value) if math.isfinite(cap.value) else raw.value
    high = max(value, min(raw.high, cap.high)) if math.isfinite(cap.high) else raw.high
    return Estimate(value, min(raw.low, value), high, raw.n, raw.method)
