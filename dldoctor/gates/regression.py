"""Compare a run's errors with a stored baseline report, split by split, with intervals.

Each difference (current − baseline) gets an interval at the current report's confidence level
from the two runs' own uncertainty, treating them as independent samples:

- classification: the misclassification counts are rebuilt from the stored error rates and split
  sizes, each gets a Wilson interval, and the difference a Newcombe (MOVER) interval — the
  standard interval for a difference of two independent proportions;
- regression: the stored bootstrap intervals of the two MSEs, rescaled to the confidence level
  if the runs used different ones, combine by MOVER into an interval for the difference of means.

A split is "worse" only when the whole interval lies above `tolerance`: a one-sided test at
(1 − confidence) / 2, 2.5 % at the default 95 %. When both runs scored the same examples the
errors are positively correlated, so the independent interval is wider than a paired one would
be: the test is conservative — a rerun with another seed does not trip it.

Where a run measured its seed-to-seed spread (`--seed-repeats`; the current run's, else the
baseline's), the training randomness of both single runs joins the interval: z·√2·sd added in
quadrature to each half-width, so "worse" means worse beyond seed noise too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dldoctor.stats import Estimate, difference, wilson, z_score

if TYPE_CHECKING:  # the report model reads a stored `check` section back through this module
    from dldoctor.report.model import ReportData

SPLITS = ("train", "train_dev", "dev", "test")
SEED_SECTION = "seed_repeat"  # the probe whose section holds the seed-to-seed spread
SEEDED = "+ seed noise"


@dataclass(frozen=True)
class Delta:
    """One row of the delta table; `change` is "worse", "better", "no significant change" or "n/a"."""

    split: str
    baseline: float | None
    current: float | None
    difference: Estimate | None  # current − baseline, with its interval
    change: str

    def to_dict(self) -> dict[str, Any]:
        d = self.difference
        return {
            "split": self.split,
            "baseline": self.baseline,
            "current": self.current,
            "difference": None if d is None else d.value,
            "interval": None if d is None else [d.low, d.high],
            "change": self.change,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Delta:
        """A row as a stored report holds it; a non-finite end of the interval reads as NaN."""
        value, interval = data["difference"], data["interval"]
        low, high = (math.nan if end is None else end for end in interval or (None, None))
        diff = None if value is None else Estimate(value, low, high)
        return cls(data["split"], data["baseline"], data["current"], diff, data["change"])


@dataclass(frozen=True)
class Comparison:
    baseline_recipe: str
    confidence: float
    tolerance: float
    method: str
    deltas: tuple[Delta, ...]

    def delta(self, split: str) -> Delta:
        return next(d for d in self.deltas if d.split == split)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_recipe": self.baseline_recipe,
            "confidence": self.confidence,
            "tolerance": self.tolerance,
            "method": self.method,
            "deltas": [d.to_dict() for d in self.deltas],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        deltas = tuple(Delta.from_dict(d) for d in data["deltas"])
        return cls(data["baseline_recipe"], data["confidence"], data["tolerance"], data["method"], deltas)


def compare(current: ReportData, baseline: ReportData, tolerance: float = 0.0) -> Comparison:
    """Every error of `current` against `baseline`."""
    confidence = float(current.policy.confidence)
    classification = current.task == "classification"
    method = "Newcombe (Wilson) interval" if classification else "MOVER on bootstrap intervals"
    deltas = tuple(
        _delta(split, current, baseline, confidence, tolerance, classification) for split in SPLITS
    )
    if any(d.difference is not None and d.difference.method.endswith(SEEDED) for d in deltas):
        method += f" {SEEDED}"
    return Comparison(baseline.recipe, confidence, tolerance, method, deltas)


def _delta(
    split: str,
    current: ReportData,
    baseline: ReportData,
    confidence: float,
    tolerance: float,
    classification: bool,
) -> Delta:
    new, old = current.errors.get(split), baseline.errors.get(split)
    if new is None or old is None:
        return Delta(split, old, new, None, "n/a")
    estimate = _rate if classification else _mean
    diff = difference(estimate(current, split, confidence), estimate(baseline, split, confidence))
    sd = seed_sd(current, split) or seed_sd(baseline, split)
    if sd:
        diff = _with_seed_noise(diff, sd, confidence)
    if diff.low > tolerance:
        change = "worse"
    elif diff.high < -tolerance:
        change = "better"
    else:
        change = "no significant change"
    return Delta(split, old, new, diff, change)


def seed_sd(report: ReportData, split: str) -> float | None:
    """The seed-to-seed sd of a split's error, where the run measured it (diagnose --seed-repeats)."""
    section = report.sections.get(SEED_SECTION)
    spread = section.values.get("spread", {}).get(split) if section is not None else None
    sd = None if spread is None else spread.get("sd")
    return sd if isinstance(sd, (int, float)) and math.isfinite(sd) else None


def _with_seed_noise(diff: Estimate, sd: float, confidence: float) -> Estimate:
    """Two single runs differ by seed noise of sd·√2 besides their sampling noise: add it in quadrature."""
    seeds = z_score(confidence) * math.sqrt(2) * sd
    low = diff.value - math.hypot(diff.value - diff.low, seeds)
    high = diff.value + math.hypot(diff.high - diff.value, seeds)
    return Estimate(diff.value, low, high, None, f"{diff.method} {SEEDED}")


def _rate(report: ReportData, split: str, confidence: float) -> Estimate:
    n, value = report.sizes.get(split), report.errors[split]
    if n is None or value is None:
        raise ValueError(f"{report.recipe} has a {split} error but no {split} size")
    return wilson(round(value * n), n, confidence)


def _mean(report: ReportData, split: str, confidence: float) -> Estimate:
    measured = report.error(split)
    if measured is None:
        raise ValueError(f"{report.recipe} has no finite interval for its {split} error")
    value, low, high = measured.value, measured.low, measured.high
    scale = z_score(confidence) / z_score(float(report.policy.confidence))
    return Estimate(value, value - scale * (value - low), value + scale * (high - value))
