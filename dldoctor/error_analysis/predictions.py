"""What error analysis reads: one split's given labels and the model's out-of-sample outputs for it.

Built from a recipe run (dldoctor.held_out) or from a saved predictions file (dldoctor.posthoc); nothing
here knows which, so both are analysed the same way. A classification split is read through its
ScoredSplit: a summary per example and its scores again a chunk at a time, never (n, K) whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dldoctor.error_analysis.scores import TINY, ScoreSource, ScoreSummary, summarise


@dataclass(frozen=True)
class SplitPredictions:
    """`outputs`: (n, K) class probabilities for classification, (n, ...) predictions for regression.

    `index` names each example as the user knows it (its row in the split they gave; for a carved
    train-dev, its row in train). `metadata`: per-example columns for slices.
    """

    labels: np.ndarray
    outputs: np.ndarray
    index: np.ndarray | None = None
    metadata: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def predicted(self) -> np.ndarray:
        """The predicted class (classification only)."""
        return self.outputs.argmax(axis=1)

    def per_example_error(self, task: str) -> np.ndarray:
        """0/1 misclassification, or the squared error averaged over outputs, per example."""
        if task == "classification":
            return (self.predicted != self.labels).astype(np.float64)
        diff = self.outputs.reshape(len(self), -1) - self.labels.reshape(len(self), -1)
        return np.square(diff).mean(axis=1)


@dataclass(frozen=True)
class ScoredSplit:
    """A classification split as error analysis reads it: each example's score summary, and its
    log-scores again chunk by chunk for label noise's second pass."""

    summary: ScoreSummary
    scores: ScoreSource
    classes: int
    index: np.ndarray | None = None
    metadata: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, split: SplitPredictions) -> ScoredSplit:
        """An in-memory split of class probabilities, read as one chunk of log-probabilities."""
        scores = np.log(np.maximum(np.asarray(split.outputs, dtype=np.float64), TINY))
        summary = summarise(scores, np.asarray(split.labels, dtype=np.int64))
        return cls(summary, lambda: iter([scores]), scores.shape[1], split.index, split.metadata)
