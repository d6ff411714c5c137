"""Calibration: does a predicted confidence of 80 % come true 80 % of the time?

Expected calibration error (Guo et al., "On Calibration of Modern Neural Networks", 2017): the
confidence (the top class probability) cut into equal-width bins, ECE = Σ_b (n_b / n)·|acc_b − conf_b|.
Its interval is a percentile bootstrap over examples; above BOOTSTRAP_ROWS examples, an m-out-of-n
bootstrap (Bickel, Götze and van Zwet, 1997): the spread of BOOTSTRAP_ROWS sampled rows' resamples,
shrunk by sqrt(m / n), around the full data's ECE (for a mean-like statistic the spread scales so).
Over- or under-confidence is named from mean confidence − accuracy, whose interval must exclude 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dldoctor.stats import Estimate, bootstrap_counts, paired_difference

BINS = 15
RESAMPLES = 1000
WORK_PER_CHUNK = 4_000_000  # resamples × examples held in memory at once
BOOTSTRAP_ROWS = 50_000  # above this many examples, the interval's spread comes from a subsample


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    n: int
    confidence: float | None  # mean top-class probability in the bin; None when empty
    accuracy: float | None


@dataclass(frozen=True)
class Calibration:
    """`overconfidence`: mean confidence − accuracy; `reading` names it when significant."""

    ece: Estimate
    overconfidence: Estimate
    reading: str  # "overconfident", "underconfident" or "calibrated"
    bins: tuple[ReliabilityBin, ...]


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> float:
    """Σ_b (n_b / n)·|accuracy_b − confidence_b| over `bins` equal-width bins of [0, 1]."""
    return _ece(_bin_of(confidence, bins), correct - confidence, bins)


def _ece(members: np.ndarray, gap: np.ndarray, bins: int) -> float:
    return float(np.abs(np.bincount(members, gap, bins)).sum() / len(gap))


def calibration(
    probs: np.ndarray, labels: np.ndarray, level: float = 0.95, seed: int = 0, bins: int = BINS
) -> Calibration:
    """ECE with a bootstrap interval, the reliability bins, and over/under-confidence named."""
    probs = np.asarray(probs, dtype=np.float64)
    correct = (probs.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    return calibration_of(probs.max(axis=1), correct, level, seed, bins)


def calibration_of(
    confidence: np.ndarray, correct: np.ndarray, level: float = 0.95, seed: int = 0, bins: int = BINS
) -> Calibration:
    """`calibration` from each example's top-class probability and whether that class was right."""
    members = _bin_of(confidence, bins)
    ece = expected_calibration_error(confidence, correct, bins)
    over = paired_difference(confidence, correct, level)
    reading = "overconfident" if over.low > 0 else "underconfident" if over.high < 0 else "calibrated"
    return Calibration(
        ece=_interval(ece, members, correct - confidence, bins, level, seed),
        overconfidence=over,
        reading=reading,
        bins=_reliability(members, confidence, correct, bins),
    )


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Bin b holds confidences in (b/bins, (b+1)/bins]; 0 joins the first bin."""
    return np.clip(np.ceil(np.asarray(confidence) * bins).astype(np.int64) - 1, 0, bins - 1)


def _interval(
    ece: float, members: np.ndarray, gap: np.ndarray, bins: int, level: float, seed: int
) -> Estimate:
    n = len(gap)
    if n < 2:
        return Estimate(ece, ece, ece, n, "none")
    rng = np.random.default_rng(seed)
    if n > BOOTSTRAP_ROWS:  # m-out-of-n: resample a subsample, shrink its spread by sqrt(m / n)
        rows = rng.choice(n, BOOTSTRAP_ROWS, replace=False)
        part = members[rows], gap[rows]
        sub = _interval(_ece(*part, bins), *part, bins, level, seed)
        shrink = math.sqrt(BOOTSTRAP_ROWS / n)
        low, high = ece - shrink * (sub.value - sub.low), ece + shrink * (sub.high - sub.value)
        return Estimate(ece, max(0.0, low), high, n, f"bootstrap ({BOOTSTRAP_ROWS} of {n} rows, m-out-of-n)")
    gaps_by_bin = np.zeros((n, bins))
    gaps_by_bin[np.arange(n), members] = gap
    chunk = max(1, WORK_PER_CHUNK // n)
    values = []
    for start in range(0, RESAMPLES, chunk):
        weights = bootstrap_counts(n, min(chunk, RESAMPLES - start), rng)
        values.append(np.abs(weights @ gaps_by_bin).sum(axis=1) / n)
    tail = (1 - level) / 2
    low, high = np.quantile(np.concatenate(values), [tail, 1 - tail])
    return Estimate(ece, float(low), float(high), n, "bootstrap")


def _reliability(
    members: np.ndarray, confidence: np.ndarray, correct: np.ndarray, bins: int
) -> tuple[ReliabilityBin, ...]:
    counts = np.bincount(members, minlength=bins)
    conf = np.bincount(members, confidence, bins)
    acc = np.bincount(members, correct, bins)
    return tuple(
        ReliabilityBin(
            b / bins,
            (b + 1) / bins,
            int(counts[b]),
            float(conf[b] / counts[b]) if counts[b] else None,
            float(acc[b] / counts[b]) if counts[b] else None,
        )
        for b in range(bins)
    )
