"""Finite-sample uncertainty: intervals for errors and for differences of errors (numpy; the few-runs
intervals import scipy's t and chi-square quantiles when called)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MAX_N = 20_000  # above this the normal approximation is as good and far cheaper
Interval = list[float | None]  # [low, high] as a report stores it; an end is None where it was not finite


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided interval; `n` examples; `method` names the interval."""

    value: float
    low: float
    high: float
    n: int | None = None
    method: str = ""

    @property
    def interval(self) -> tuple[float, float]:
        return (self.low, self.high)


def as_estimate(value: float | None, interval: Interval | None) -> Estimate | None:
    """A value and its stored interval as an Estimate; None when either is missing or not finite."""
    if value is None or interval is None or None in interval:
        return None
    low, high = interval
    assert low is not None and high is not None
    return Estimate(value, low, high)


def z_score(confidence: float) -> float:
    """The two-sided normal quantile for `confidence` (1.96 at 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(errors: int, n: int, confidence: float = 0.95) -> Estimate:
    """Wilson score interval for an error rate: honest near 0 and 1, unlike the normal one."""
    if n <= 0:
        return Estimate(math.nan, 0.0, 1.0, 0, "wilson")
    z = z_score(confidence)
    p = errors / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n, "wilson")


def mean_interval(values: np.ndarray, confidence: float = 0.95, seed: int = 0) -> Estimate:
    """Interval for the mean of per-example values: percentile bootstrap, normal when n is large."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    mean = float(values.mean()) if n else math.nan
    if n < 2 or not math.isfinite(mean):
        return Estimate(mean, mean, mean, n, "none")
    if n > BOOTSTRAP_MAX_N:
        half = z_score(confidence) * float(values.std(ddof=1)) / math.sqrt(n)
        return Estimate(mean, mean - half, mean + half, n, "normal")
    rng = np.random.default_rng(seed)
    if np.isin(values, (0.0, 1.0)).all():  # 0/1 values: a resample's mean is Binomial(n, p)/n exactly
        means = rng.binomial(n, mean, size=BOOTSTRAP_RESAMPLES) / n
    else:
        means = _resampled_means(values, rng)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Estimate(mean, float(low), float(high), n, "bootstrap")


def bootstrap_counts(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n): how often each of n examples is drawn in each bootstrap resample — as weights,
    a statistic that is a weighted sum needs no copy of the resampled data."""
    draws = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def _resampled_means(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = values.size
    return np.concatenate(
        [
            values[rng.integers(0, n, size=(chunk, n))].mean(axis=1)
            for chunk in _chunks(BOOTSTRAP_RESAMPLES, max(1, 4_000_000 // n))
        ]
    )


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Interval for the mean of a few independent runs (seeds): Student's t on n − 1 degrees of
    freedom, where a bootstrap of so few values would be too narrow."""
    from scipy.stats import t

    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return Estimate(mean, mean, mean, x.size, "none")
    half = float(t.ppf(0.5 + confidence / 2, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return Estimate(mean, mean - half, mean + half, x.size, "student t")


def sd_interval(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Interval for the standard deviation of a few independent runs: chi-square on n − 1 degrees of
    freedom (exact for normally distributed runs)."""
    from scipy.stats import chi2

    x = np.asarray(values, dtype=np.float64)
    sd = float(x.std(ddof=1)) if x.size >= 2 else math.nan
    if x.size < 2:
        return Estimate(sd, sd, sd, x.size, "none")
    df, tail = x.size - 1, (1 - confidence) / 2
    low = sd * math.sqrt(df / float(chi2.ppf(1 - tail, df)))
    high = sd * math.sqrt(df / float(chi2.ppf(tail, df)))
    return Estimate(sd, low, high, x.size, "chi-square")


def difference(a: Estimate, b: Estimate, widen: float = 1.0) -> Estimate:
    """Interval for a − b from the two intervals (MOVER; Newcombe's method with Wilson intervals).

    Assumes independent estimates, as errors on disjoint splits are. `widen` scales both
    intervals' half-widths first, e.g. to a Bonferroni-corrected level (see `bonferroni_widening`).
    """
    value = a.value - b.value
    low = value - widen * math.hypot(a.value - a.low, b.high - b.value)
    high = value + widen * math.hypot(a.high - a.value, b.value - b.low)
    return Estimate(value, low, high, None, "mover")


def bonferroni_widening(confidence: float, tests: int) -> float:
    """How much wider each of `tests` intervals must be for all to hold at once with `confidence`."""
    per_test = 1 - (1 - confidence) / max(1, tests)
    return z_score(per_test) / z_score(confidence)


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> Estimate:
    """Interval for mean(a − b) when a and b were measured on the same examples."""
    return mean_interval(np.asarray(a, float) - np.asarray(b, float), confidence)


def extra_examples_needed(gap: Estimate, a: Estimate, b: Estimate, widen: float = 1.0) -> dict[int, int]:
    """Roughly how many more examples of `a` (key 0) or `b` (key 1) would make the gap a − b clear 0.

    A lower-side half-width shrinks like 1/sqrt(n): grow the split that contributes most
    uncertainty, or both by the same factor when growing one alone cannot do it.
    """
    if gap.value <= 0 or gap.low > 0:
        return {}
    halves = (widen * (a.value - a.low), widen * (b.high - b.value))
    sizes = (a.n, b.n)
    target = gap.value**2
    noisier = 0 if halves[0] >= halves[1] else 1
    other = halves[1 - noisier]
    if other**2 < target:
        factor = halves[noisier] ** 2 / (target - other**2)
        grow = {noisier: sizes[noisier]}
    else:
        factor = (halves[0] ** 2 + halves[1] ** 2) / target
        grow = dict(enumerate(sizes))
    return {i: math.ceil(n * (factor - 1)) for i, n in grow.items() if n}


def _chunks(total: int, size: int) -> list[int]:
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])
