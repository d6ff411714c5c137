"""Class scores read a chunk of rows at a time: what the error estimates and error analysis need from
(n, K) outputs, reduced to a few numbers per example, so that the outputs are never held whole.

Scores are logits, or class probabilities (rows of non-negative numbers summing to 1), which are
read as log-probabilities; either way softmax(scores) are the model's class probabilities. Numpy
rather than torch: its vectorised exp is several times faster on CPU for this one-pass work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

TINY = 1e-12  # probabilities are clamped here before the log
CANDIDATE_SLACK = 1e-3  # log-space margin of the float32 candidate pass, far above its rounding


@dataclass(frozen=True)
class ScoreSummary:
    """Per example: the predicted class, the log normaliser log Σ_k exp(score_k), and the scores of
    the predicted and of the given class — enough for the loss, the error, the confidence, p(given)."""

    labels: np.ndarray
    predicted: np.ndarray
    log_norm: np.ndarray
    top: np.ndarray
    given: np.ndarray

    @property
    def loss(self) -> np.ndarray:
        """Cross-entropy of the given label."""
        return self.log_norm - self.given

    @property
    def errors(self) -> np.ndarray:
        return (self.predicted != self.labels).astype(np.float64)

    @property
    def confidence(self) -> np.ndarray:
        """The top class probability."""
        return np.exp(self.top - self.log_norm)

    @property
    def given_probability(self) -> np.ndarray:
        return np.exp(self.given - self.log_norm)


ScoreSource = Callable[[], Iterator[np.ndarray]]  # the (rows, K) log-scores again, chunk by chunk


def as_log_scores(chunk: np.ndarray) -> np.ndarray:
    """Logits unchanged; rows of probabilities (non-negative, summing to 1) as their logs."""
    chunk = np.asarray(chunk)
    if not len(chunk) or chunk.min() < 0 or not np.allclose(chunk.sum(axis=1), 1.0, atol=1e-3):
        return chunk
    return np.log(np.maximum(chunk, TINY))


def summarise(chunk: np.ndarray, labels: np.ndarray) -> ScoreSummary:
    """One chunk of log-scores (rows, K) and their labels → the per-example summary (float64)."""
    rows = np.arange(len(chunk))
    predicted = chunk.argmax(axis=1)
    top = chunk[rows, predicted].astype(np.float64)
    shifted = np.subtract(chunk, top[:, None], dtype=np.result_type(chunk.dtype, np.float32))
    log_norm = top + np.log(np.exp(shifted, out=shifted).sum(axis=1), dtype=np.float64)
    return ScoreSummary(labels, predicted, log_norm, top, chunk[rows, labels].astype(np.float64))


def joined(parts: Iterable[ScoreSummary]) -> ScoreSummary:
    """The chunks' summaries as one."""
    found = list(parts)
    fields = ("labels", "predicted", "log_norm", "top", "given")
    return ScoreSummary(*(np.concatenate([getattr(p, f) for p in found]) for f in fields))


def confident_class(
    chunk: np.ndarray, log_norm: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the most probable class whose probability reaches its threshold, whether any does,
    and that class's probability.

    A float32 pass in log space finds the few candidates (p_j ≥ t_j ⟺ score_j − log t_j ≥ log Σ exp);
    each is then decided on p_j = exp(score_j − log_norm) in float64, the same arithmetic as
    `given_probability`, so a class's own examples compare with its threshold exactly.
    """
    with np.errstate(divide="ignore"):
        log_t = np.log(thresholds).astype(np.float32)
    near = np.subtract(chunk, log_t, dtype=np.float32) >= (log_norm - CANDIDATE_SLACK)[:, None]
    rows, classes = np.divmod(np.flatnonzero(near), chunk.shape[1])  # flat: several times faster
    p = np.exp(chunk[rows, classes].astype(np.float64) - log_norm[rows])
    keep = p >= thresholds[classes]
    rows, classes, p = rows[keep], classes[keep], p[keep]
    order = np.lexsort((classes, -p, rows))  # per row: most probable first, then the lowest class
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
    suggested = np.zeros(len(chunk), dtype=np.int64)
    best = np.zeros(len(chunk))
    counted = np.zeros(len(chunk), dtype=bool)
    suggested[rows[first]], best[rows[first]], counted[rows[first]] = classes[first], p[first], True
    return suggested, counted, best
