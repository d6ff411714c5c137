"""Where the classification errors are: per-class error, the confusion matrix, the most-confused pairs.

Each class's share of the split's errors says which class to look at first: fixing every error of
a class can lower the error by at most its share (the ceiling the notes ask for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dldoctor.stats import Estimate, wilson

TOP_PAIRS = 5


@dataclass(frozen=True)
class ClassError:
    """Error among the examples labelled `label`, and the share of all errors they make."""

    label: int
    n: int
    error: Estimate
    share_of_errors: float


@dataclass(frozen=True)
class ConfusedPair:
    given: int
    predicted: int
    count: int
    share_of_errors: float


@dataclass(frozen=True)
class ClassErrors:
    """`matrix[i][j]`: examples labelled i predicted as j."""

    matrix: tuple[tuple[int, ...], ...]
    classes: tuple[ClassError, ...]
    pairs: tuple[ConfusedPair, ...]


def class_errors(
    labels: np.ndarray, predicted: np.ndarray, num_classes: int, confidence: float = 0.95
) -> ClassErrors:
    """Per-class errors with Wilson intervals, ordered by share of the errors (largest first)."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    wrong = matrix.sum(axis=1) - np.diag(matrix)
    total = max(int(wrong.sum()), 1)
    classes = [
        ClassError(
            k,
            int(matrix[k].sum()),
            wilson(int(wrong[k]), int(matrix[k].sum()), confidence),
            int(wrong[k]) / total,
        )
        for k in range(num_classes)
        if matrix[k].sum()
    ]
    classes.sort(key=lambda c: (-c.share_of_errors, c.label))
    return ClassErrors(tuple(map(tuple, matrix.tolist())), tuple(classes), _pairs(matrix, total))


def _pairs(matrix: np.ndarray, total: int) -> tuple[ConfusedPair, ...]:
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:TOP_PAIRS]
    given, predicted = np.unravel_index(order, off.shape)
    return tuple(
        ConfusedPair(int(i), int(j), int(off[i, j]), int(off[i, j]) / total)
        for i, j in zip(given, predicted, strict=True)
        if off[i, j]
    )
