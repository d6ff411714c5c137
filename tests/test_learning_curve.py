"""The learning-curve fit: recovers a known power law and tells a falling curve from a flat one."""

from __future__ import annotations

import numpy as np
import pytest

from dldoctor.learning_curve import fit_power_law, summarise

SIZES = [100, 200, 400, 800, 1600]


def test_power_law_parameters_are_recovered():
    rng = np.random.default_rng(0)
    errors = [0.08 + 1.5 * n**-0.6 + rng.normal(0, 1e-4) for n in SIZES]
    c, a, b = fit_power_law(np.array(SIZES, float), np.array(errors))
    assert c == pytest.approx(0.08, abs=0.01) and b == pytest.approx(0.6, abs=0.1)
    assert a * SIZES[-1] ** -b == pytest.approx(1.5 * SIZES[-1] ** -0.6, rel=0.1)


def test_a_falling_curve_says_more_data_helps_and_predicts_lower_error():
    curve = summarise(SIZES, [0.05 + 2.0 * n**-0.5 for n in SIZES], [0.0] * 5, threshold=0.01)
    assert curve.helps is True
    assert curve.dev_errors[-1] > curve.predicted[2] > curve.predicted[10] > 0.05 - 1e-6


def test_a_flat_curve_says_more_data_will_not_help():
    curve = summarise(SIZES, [0.21, 0.2, 0.205, 0.2, 0.2], [0.1] * 5, threshold=0.01)
    assert curve.helps is False and curve.predicted[10] == pytest.approx(0.2, abs=0.01)


def test_too_few_points_give_no_fit():
    curve = summarise([100, 200], [0.3, 0.2], [0.0, 0.0], threshold=0.01)
    assert curve.helps is None and curve.predicted == {} and curve.c is None
