"""Suspected label errors by confident learning, written from the paper (Northcutt, Jiang and Chuang,
"Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 70, 2021).

On out-of-sample class probabilities p (an example's own label never taught the model about it):
1. each class j gets a threshold t_j, the mean p_j over the examples labelled j — the model's
   average confidence in j where j is the given label;
2. the confident joint C[i, j] counts the examples labelled i whose p_j reaches t_j (of several
   such classes the most probable; an example reaching no threshold is not counted);
3. C's rows are scaled to the label counts and the whole normalised: Q[i, j] estimates the share of
   examples labelled i whose true class is j, and the noise rate is 1 − trace(Q);
4. the examples in C's off-diagonal cells are the suspects, ranked by the margin p_j − p_i.
The rate's interval is a percentile bootstrap over examples, thresholds and joint recomputed on
every resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dldoctor.error_analysis.predictions import ScoredSplit, SplitPredictions
from dldoctor.error_analysis.scores import ScoreSource, ScoreSummary, confident_class
from dldoctor.stats import Estimate, bootstrap_counts

RESAMPLES = 1000
WORK_PER_CHUNK = 2_000_000  # resamples × examples × classes held in memory at once
BOOTSTRAP_WORK = 1_000_000_000  # beyond this, fewer resamples (at least MIN_RESAMPLES)
MIN_RESAMPLES = 200
EXACT_WORK = 250_000  # n × K up to which every resample recomputes the thresholds


@dataclass(frozen=True)
class Suspect:
    """An example whose given label the model confidently contradicts."""

    index: int  # the example's row as the user knows it
    given: int
    suggested: int  # the class it confidently belongs to
    self_confidence: float  # p(given label)
    margin: float  # p(suggested) − p(given)


@dataclass(frozen=True)
class LabelNoise:
    """One split's estimated label noise and its suspects, most suspicious first.

    `error_if_relabelled`: the split's error were every suspect relabelled to its suggested class —
    the most that cleaning these labels could take off the measured error. `flagged` counts the
    suspects: a report keeps only the first few of them (ErrorAnalysis.reported).
    """

    n: int
    rate: Estimate
    suspects: tuple[Suspect, ...]
    error: float
    error_if_relabelled: float
    thresholds: tuple[float, ...]
    flagged: int


def label_noise(
    labels: np.ndarray,
    probs: np.ndarray,
    index: np.ndarray | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> LabelNoise:
    """Confident learning on one split's given `labels` and out-of-sample `probs` (n, K)."""
    split = ScoredSplit.of(SplitPredictions(labels, probs, index))
    return label_noise_of(split.summary, split.scores, split.classes, index, confidence, seed)


def label_noise_of(
    summary: ScoreSummary,
    scores: ScoreSource,
    classes: int,
    index: np.ndarray | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> LabelNoise:
    """Confident learning from a split's score summary and one more pass over its log-scores, a chunk
    at a time: the thresholds come from the summary, the confident joint from the pass."""
    labels, n = summary.labels, len(summary.labels)
    own = summary.given_probability
    counts = np.bincount(labels, minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        thresholds = np.where(counts > 0, np.bincount(labels, own, classes) / counts, np.inf)
    exact = n * classes <= EXACT_WORK  # small enough to keep the probabilities for the full bootstrap
    suggested, counted, best, probs = _joint_pass(scores, summary.log_norm, thresholds, exact)
    cells = _cells(labels, suggested, counted, classes)
    flagged = np.flatnonzero(counted & (suggested != labels))
    rows = np.arange(n) if index is None else np.asarray(index)
    predicted = summary.predicted
    wrong = predicted != labels
    wrong[flagged] = predicted[flagged] != suggested[flagged]
    rate = float(_cell_rates(cells[None])[0])
    return LabelNoise(
        n=n,
        rate=_interval(rate, labels, probs, confidence, seed)
        if probs is not None
        else _cell_interval(rate, cells, confidence, seed),
        suspects=_ranked(flagged, labels, suggested, own, best, rows),
        error=float((predicted != labels).mean()),
        error_if_relabelled=float(wrong.mean()),
        thresholds=tuple(float(t) for t in thresholds),
        flagged=len(flagged),
    )


def _joint_pass(
    scores: ScoreSource, log_norm: np.ndarray, thresholds: np.ndarray, keep_probs: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Each example's confident class (see `confident_class`), and its probabilities when kept."""
    found, kept, start = [], [], 0
    for chunk in scores():
        norm = log_norm[start : start + len(chunk)]
        found.append(confident_class(chunk, norm, thresholds))
        if keep_probs:
            kept.append(np.exp(chunk.astype(np.float64) - norm[:, None]))
        start += len(chunk)
    suggested, counted, best = (np.concatenate(part) for part in zip(*found, strict=True))
    return suggested, counted, best, np.concatenate(kept) if keep_probs else None


def _cells(labels: np.ndarray, suggested: np.ndarray, counted: np.ndarray, k: int) -> np.ndarray:
    """(3, K) per given label i: examples counted on the joint's diagonal (suggested i), counted off it,
    and not counted. The rate depends on the examples only through these counts."""
    kind = np.where(counted, np.where(suggested == labels, 0, 1), 2)
    return np.bincount(kind * k + labels, minlength=3 * k).reshape(3, k).astype(np.float64)


def _cell_rates(cells: np.ndarray) -> np.ndarray:
    """1 − trace of the calibrated joint from (resamples, 3, K) cell counts (see `_noise_rates`)."""
    on, off, none = cells[:, 0], cells[:, 1], cells[:, 2]
    given, rows = on + off + none, on + off
    kept = np.where(rows > 0, on / np.where(rows > 0, rows, 1), 1.0)  # no confident count: no evidence
    return 1 - (given * kept).sum(axis=1) / given.sum(axis=1)


def _cell_interval(rate: float, cells: np.ndarray, confidence: float, seed: int) -> Estimate:
    """Percentile bootstrap over examples with the thresholds held at their full-data values: a
    resample of the n examples is a multinomial draw of the (3, K) cell counts, exact for the rate
    given the thresholds and O(K) per resample. Used when n·K is too large to recompute thresholds
    per resample; each threshold is then a mean over about n/K examples, whose own spread is left out."""
    n = int(cells.sum())
    if n < 2:
        return Estimate(rate, rate, rate, n, "none")
    draws = np.random.default_rng(seed).multinomial(n, cells.ravel() / n, size=RESAMPLES)
    rates = _cell_rates(draws.reshape(RESAMPLES, *cells.shape).astype(np.float64))
    tail = (1 - confidence) / 2
    low, high = np.quantile(rates, [tail, 1 - tail])
    return Estimate(rate, float(low), float(high), n, "bootstrap (thresholds fixed)")


def _thresholds(own: np.ndarray, onehot: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(resamples, K): each class's mean own-class probability (`own` = probs · onehot); +inf for a
    class nobody is given."""
    sums, counts = weights @ own, weights @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.inf)


def _confident_class(probs: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample and example: the most probable class at or above its threshold, and whether any is."""
    above = probs[None] >= thresholds[:, None, :]
    return np.where(above, probs[None], -1.0).argmax(axis=2), np.asarray(above.any(axis=2))


def _noise_rates(
    labels: np.ndarray,
    onehot: np.ndarray,
    suggested: np.ndarray,
    counted: np.ndarray,
    weights: np.ndarray,
    k: int,
) -> np.ndarray:
    """1 − trace of the calibrated joint, per resample (weights: how often each example was drawn)."""
    b = weights.shape[0]
    cell = (np.arange(b)[:, None] * k + labels[None]) * k + suggested
    joint = np.bincount(cell.ravel(), (weights * counted).ravel(), b * k * k).reshape(b, k, k)
    given = weights @ onehot  # (b, K): examples labelled i, as drawn
    rows = joint.sum(axis=2)
    empty = rows == 0  # no confident count for a label: no evidence of noise in it
    scaled = joint / np.where(empty, 1, rows)[..., None] * given[..., None]
    diagonal = np.einsum("bii->bi", scaled) + np.where(empty, given, 0)
    return 1 - diagonal.sum(axis=1) / given.sum(axis=1)


def _interval(rate: float, labels: np.ndarray, probs: np.ndarray, confidence: float, seed: int) -> Estimate:
    """Percentile bootstrap over examples, thresholds and joint recomputed on every resample."""
    n, k = probs.shape
    onehot = np.eye(k)[labels]
    if n < 2:
        return Estimate(rate, rate, rate, n, "none")
    resamples = min(RESAMPLES, max(MIN_RESAMPLES, BOOTSTRAP_WORK // (n * k)))
    rng = np.random.default_rng(seed)
    chunk = max(1, WORK_PER_CHUNK // (n * k))
    own = probs * onehot
    rates = []
    for start in range(0, resamples, chunk):
        weights = bootstrap_counts(n, min(chunk, resamples - start), rng)
        thresholds = _thresholds(own, onehot, weights)
        suggested, counted = _confident_class(probs, thresholds)
        rates.append(_noise_rates(labels, onehot, suggested, counted, weights, k))
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.concatenate(rates), [tail, 1 - tail])
    return Estimate(rate, float(low), float(high), n, "bootstrap")


def _ranked(
    flagged: np.ndarray,
    labels: np.ndarray,
    suggested: np.ndarray,
    own: np.ndarray,
    best: np.ndarray,
    rows: np.ndarray,
) -> tuple[Suspect, ...]:
    margin = best[flagged] - own[flagged]
    order = np.argsort(-margin, kind="stable")
    return tuple(
        Suspect(int(rows[i]), int(labels[i]), int(suggested[i]), float(p), float(m))
        for i, p, m in zip(flagged[order], own[flagged][order], margin[order], strict=True)
    )
