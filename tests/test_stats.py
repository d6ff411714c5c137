"""Intervals against published values and against simulation."""

from __future__ import annotations

import numpy as np
import pytest

from dldoctor import task as tasks
from dldoctor.stats import (
    Estimate,
    bonferroni_widening,
    difference,
    extra_examples_needed,
    mean_interval,
    sd_interval,
    t_interval,
    wilson,
    z_score,
)


def test_wilson_matches_published_values():
    # Newcombe (1998), Table I: 0/10 → (0, 0.2775); 5/10 → (0.2366, 0.7634)
    assert wilson(0, 10).interval == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10).interval == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_difference_of_wilson_intervals_is_newcombes_method_10():
    # Newcombe (1998), example (a): 56/70 − 48/80 → 0.2000 (0.0524, 0.3339)
    gap = difference(wilson(56, 70), wilson(48, 80))
    assert gap.value == pytest.approx(0.2)
    assert gap.interval == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_wilson_covers_the_true_rate_at_its_nominal_level():
    rng = np.random.default_rng(0)
    p, n = 0.04, 300
    hits = [wilson(int(k), n).low <= p <= wilson(int(k), n).high for k in rng.binomial(n, p, 2000)]
    assert 0.93 <= np.mean(hits) <= 0.99


def test_bootstrap_interval_covers_the_true_mean():
    rng = np.random.default_rng(1)
    hits = []
    for i in range(200):
        est = mean_interval(rng.exponential(2.0, size=150), seed=i)
        hits.append(est.low <= 2.0 <= est.high)
    assert est.method == "bootstrap"
    assert 0.88 <= np.mean(hits) <= 0.99


def test_large_samples_use_the_normal_interval():
    values = np.random.default_rng(2).normal(1.0, 1.0, size=50_000)
    est = mean_interval(values)
    assert est.method == "normal"
    assert est.high - est.low == pytest.approx(2 * 1.96 / np.sqrt(50_000), rel=0.05)


def test_error_estimate_picks_wilson_for_rates_and_bootstrap_for_mse():
    assert tasks.get("classification").error_estimate(np.array([0, 1, 0, 0.0])).method == "wilson"
    assert tasks.get("regression").error_estimate(np.array([0.1, 2.0, 0.3, 0.5])).method == "bootstrap"
    assert tasks.get("multilabel").error_estimate(np.array([0.25, 0.0, 0.5, 0.0])).method == "bootstrap"


def test_bonferroni_widening():
    assert bonferroni_widening(0.95, 1) == pytest.approx(1.0)
    assert bonferroni_widening(0.95, 3) == pytest.approx(z_score(1 - 0.05 / 3) / 1.959964, rel=1e-6)


def test_widened_difference_is_wider_on_both_sides():
    a, b = wilson(30, 300), wilson(10, 300)
    plain, wide = difference(a, b), difference(a, b, widen=1.3)
    assert wide.low < plain.low and wide.high > plain.high
    assert wide.value == plain.value


def test_suggested_extra_examples_settle_the_gap():
    # A 3-point gap on 200 vs 2,000 examples is not significant; the suggestion should make it so.
    a, b = wilson(16, 200), wilson(100, 2000)
    gap = difference(a, b)
    assert gap.low < 0 < gap.value
    need = extra_examples_needed(gap, a, b)
    assert set(need) == {0}, "the small split is the one to grow"
    grown = 200 + need[0]
    settled = difference(wilson(round(0.08 * grown), grown), b)
    assert abs(settled.low) < 0.005, "with the suggested size the interval just reaches zero"
    assert need[0] < 10 * 200, "and the suggestion is not absurdly large"


def test_no_suggestion_for_gaps_that_are_negative_or_already_significant():
    assert extra_examples_needed(Estimate(-0.01, -0.02, 0.0), wilson(1, 100), wilson(2, 100)) == {}
    assert extra_examples_needed(Estimate(0.1, 0.05, 0.15), wilson(20, 100), wilson(10, 100)) == {}


def test_few_runs_intervals_match_the_textbook_values():
    # t(4) 97.5 % quantile 2.7764: mean 3, sd 1.5811 of 1..5 → 3 ± 1.9632
    assert t_interval([1, 2, 3, 4, 5]).interval == pytest.approx((1.0368, 4.9632), abs=1e-4)
    # sd s of 10 runs: s·sqrt(9 / χ²₉) at 0.975 and 0.025 (19.023, 2.700) → (0.6878 s, 1.8256 s)
    runs = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    s = runs.std(ddof=1)
    assert sd_interval(runs).interval == pytest.approx((0.6878 * s, 1.8256 * s), rel=1e-3)


def test_few_runs_intervals_cover_the_truth_at_their_level():
    rng = np.random.default_rng(0)
    samples = rng.normal(10.0, 2.0, size=(4000, 5))
    means = [t_interval(x, 0.9) for x in samples]
    sds = [sd_interval(x, 0.9) for x in samples]
    assert np.mean([e.low < 10.0 < e.high for e in means]) == pytest.approx(0.9, abs=0.015)
    assert np.mean([e.low < 2.0 < e.high for e in sds]) == pytest.approx(0.9, abs=0.015)
    assert t_interval([0.3]).interval == (0.3, 0.3) and sd_interval([0.3]).method == "none"
