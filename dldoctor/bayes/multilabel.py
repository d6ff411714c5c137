"""The per-label (Hamming) Bayes error of a multilabel task: the mean of its labels' own Bayes errors.

Each label is a two-class problem, so the classification estimators apply label by label; the
neighbours are found once and shared. The interval bootstraps each example's error averaged over its
labels, which keeps the labels' correlation within an example.
"""

from __future__ import annotations

import math
import time

import torch

from dldoctor.bayes.candidates import Candidate
from dldoctor.bayes.classification import cover_hart, knn_excess
from dldoctor.neighbours import neighbours
from dldoctor.stats import mean_interval


def knn(
    features: torch.Tensor, y: torch.Tensor, representation: str, confidence: float
) -> tuple[Candidate, Candidate]:
    """Leave-one-out k-NN error per label, less its vote noise (as classification.knn), averaged over
    labels; and the mean of the labels' Cover–Hart lower bounds from their 1-NN errors."""
    started = time.perf_counter()
    n, dimension = features.shape
    k = min(n - 1, max(1, int(math.sqrt(n)) | 1))
    near, _ = neighbours(features, k)
    labels = y.long()
    wrong = torch.stack([knn_excess(column, near, 2) for column in labels.T]).mean(dim=0)
    point = mean_interval(wrong.cpu().numpy(), confidence)
    one_wrong = (labels[near[:, 0]] != labels).double().cpu().numpy()
    one = [mean_interval(column, confidence) for column in one_wrong.T]
    bound = [sum(cover_hart(getattr(e, end), 2) for e in one) / len(one) for end in ("value", "low", "high")]
    seconds = time.perf_counter() - started
    return (
        Candidate(
            f"knn.{representation}",
            point.value,
            point.low,
            point.high,
            "point",
            representation,
            dimension,
            n,
            seconds,
            note=f"k={k}, per label",
            readings=wrong.cpu().numpy(),
        ),
        Candidate(
            f"cover_hart.{representation}",
            bound[0],
            bound[1],
            bound[2],
            "lower_bound",
            representation,
            dimension,
            n,
            seconds,
            note=f"mean 1-NN error per label {float(one_wrong.mean()):.4f}",
        ),
    )
