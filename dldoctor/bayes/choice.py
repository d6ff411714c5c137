"""Choosing among noisy Bayes-error estimates without the minimum's downward bias: cross-fitting.

The lowest of several noisy readings sits below the truth even when every reading is unbiased.
Choosing on one half of the examples and reading the choice on the other removes that bias: an
example's reading comes from an estimator chosen without its label. One random halving adds the
noise of that halving (the two halves may pick different estimators, each where it read high), so
the choice is cross-fitted over HALVINGS halvings and each example's readings averaged. Within a
half, two candidates are compared on the examples both read, so that a small view's lucky sample
of examples (its label noise drawn low) does not make its estimator look better.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from dldoctor.bayes.candidates import Candidate
from dldoctor.stats import mean_interval, z_score

HALVINGS = 16


def cross_fitted(trusted: list[Candidate], confidence: float) -> Candidate:
    """The estimate whose every example is read by the candidate with the lowest upper confidence
    bound on the other half (averaged over HALVINGS halvings); a candidate itself when it always wins.

    Every candidate needs `readings` keyed by `ids`, the same example ids across candidates.
    """
    z = z_score(confidence)
    everyone = np.unique(np.concatenate([_ids(c) for c in trusted]))
    where = [np.searchsorted(everyone, _ids(c)) for c in trusted]
    sums, counts = np.zeros(len(everyone)), np.zeros(len(everyone))
    picked: Counter[int] = Counter()
    for salt in range(HALVINGS):
        halves = [_half(_ids(c), salt) for c in trusted]
        for side in (False, True):
            best = _pick(trusted, [h == side for h in halves], z)
            read = halves[best] != side
            np.add.at(sums, where[best][read], _readings(trusted[best])[read])
            np.add.at(counts, where[best][read], 1)
            picked[best] += 1
    if len(picked) == 1:
        return trusted[next(iter(picked))]
    return _blend(trusted, picked, sums[counts > 0] / counts[counts > 0], everyone[counts > 0], confidence)


def _blend(
    trusted: list[Candidate], picked: Counter[int], readings: np.ndarray, ids: np.ndarray, confidence: float
) -> Candidate:
    """The averaged readings as a candidate named after the representations that were picked.

    Its interval is the readings' bootstrap interval, widened to the widest picked candidate's
    half-widths: a reading's mean can hide a fitted part (the Gamma test's slope) whose own
    uncertainty only the candidate's interval carries.
    """
    chosen = [trusted[i] for i, _ in picked.most_common()]
    est = mean_interval(readings, confidence)
    below = max(est.value - est.low, *(c.value - c.low for c in chosen))
    above = max(est.high - est.value, *(c.high - c.value for c in chosen))
    shares = ", ".join(f"{trusted[i].representation} {count}" for i, count in picked.most_common())
    return Candidate(
        f"{chosen[0].name.split('.')[0]}." + "+".join(c.representation for c in chosen),
        est.value,
        est.value - below,
        est.value + above,
        "point",
        "+".join(c.representation for c in chosen),
        max(c.dimension for c in chosen),
        len(readings),
        sum(c.seconds for c in chosen),
        note=f"picked on half the examples, read on the others, over {2 * HALVINGS} halves: {shares}",
        readings=readings,
        ids=ids,
    )


def _pick(trusted: list[Candidate], masks: list[np.ndarray], z: float) -> int:
    """The candidate with the lowest upper confidence bound on one half (`masks`), by challenges in
    order of size. A challenger's level is the incumbent's plus their difference on the examples both
    read (paired: a lucky sample of examples, its label noise drawn low, then favours neither), and
    each bound uses the candidate's own examples (a view of few examples pays for its noise)."""
    order = sorted(range(len(trusted)), key=lambda i: -int(masks[i].sum()))
    best = order[0]
    for i in order[1:]:
        mine, theirs = _readings(trusted[i])[masks[i]], _readings(trusted[best])[masks[best]]
        shared = np.intersect1d(_ids(trusted[i])[masks[i]], _ids(trusted[best])[masks[best]])
        if len(shared) >= 2:
            difference = float(
                np.subtract(
                    *(
                        _readings(trusted[j])[masks[j] & np.isin(_ids(trusted[j]), shared)].mean()
                        for j in (i, best)
                    )
                )
            )
        else:
            difference = float(mine.mean() - theirs.mean()) if len(mine) and len(theirs) else math.inf
        if difference + z * _error(mine) < z * _error(theirs):
            best = i
    return best


def _half(ids: np.ndarray, salt: int) -> np.ndarray:
    """Which half of one halving each example falls in: a hash of its id, the same in every view."""
    offset = np.uint64((salt * 0xBF58476D1CE4E5B9) % (1 << 64))
    mixed = (ids.astype(np.uint64) + offset) * np.uint64(0x9E3779B97F4A7C15)  # wraps: a multiplicative hash
    return (mixed >> np.uint64(63)).astype(bool)


def _error(readings: np.ndarray) -> float:
    """The standard error of the readings' mean (inf with too few readings to tell)."""
    if len(readings) < 2:
        return math.inf
    return float(readings.std(ddof=1) / math.sqrt(len(readings)))


def _ids(c: Candidate) -> np.ndarray:
    assert c.ids is not None
    return c.ids


def _readings(c: Candidate) -> np.ndarray:
    assert c.readings is not None
    return c.readings
