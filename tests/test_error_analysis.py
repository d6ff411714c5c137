"""Error analysis on generated predictions (no training), then on digits with labels moved on purpose."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.error_analysis import SplitPredictions, analyse
from dldoctor.error_analysis.calibration import calibration, expected_calibration_error
from dldoctor.error_analysis.classes import class_errors
from dldoctor.error_analysis.label_noise import label_noise
from dldoctor.error_analysis.residuals import residuals
from dldoctor.error_analysis.slices import slices
from dldoctor.errors import DataError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def noisy_predictions(n: int, k: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probabilities of a good model (true class +4 in logit), labels with `rate` moved; which moved."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k))
    logits[np.arange(n), y] += 4
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    moved = np.zeros(n, dtype=bool)
    moved[rng.choice(n, round(rate * n), replace=False)] = True
    given = y.copy()
    given[moved] = (y[moved] + rng.integers(1, k, moved.sum())) % k
    return given, probs, moved


def reference_ece(confidence: np.ndarray, correct: np.ndarray, bins: int) -> float:
    """The textbook loop: bin (b/bins, (b+1)/bins], weight |accuracy − confidence| by the bin's share."""
    total = 0.0
    for b in range(bins):
        inside = (confidence > b / bins) & (confidence <= (b + 1) / bins)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return total


def test_ece_matches_a_hand_computed_example():
    probs = np.array(
        [
            [0.9, 0.05, 0.03, 0.02],  # conf 0.90, correct
            [0.05, 0.85, 0.05, 0.05],  # conf 0.85, wrong (label 0)
            [0.1, 0.7, 0.1, 0.1],  # conf 0.70, correct
            [0.65, 0.15, 0.1, 0.1],  # conf 0.65, correct
            [0.3, 0.25, 0.25, 0.2],  # conf 0.30, wrong (label 3)
        ]
    )
    labels = np.array([0, 0, 1, 0, 3])
    # bins of width 0.2: (0.8, 1] acc 0.5 conf 0.875; (0.6, 0.8] acc 1 conf 0.675; (0.2, 0.4] acc 0 conf 0.3
    expected = 2 / 5 * 0.375 + 2 / 5 * 0.325 + 1 / 5 * 0.3
    assert calibration(probs, labels, bins=5).ece.value == pytest.approx(expected)
    assert expected == pytest.approx(0.34)


def test_ece_matches_the_reference_loop_on_random_predictions():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.1, 1.0, 2000)
    correct = (rng.random(2000) < confidence**2).astype(float)
    assert expected_calibration_error(confidence, correct, 15) == pytest.approx(
        reference_ece(confidence, correct, 15)
    )


def test_overconfidence_is_named_and_the_ece_interval_holds_the_estimate():
    rng = np.random.default_rng(0)
    n, k = 2000, 5
    y = rng.integers(0, k, n)
    probs = np.full((n, k), 0.02 / (k - 1))
    predicted = np.where(rng.random(n) < 0.7, y, (y + 1) % k)  # 70 % right, at confidence 0.98
    probs[np.arange(n), predicted] = 0.98
    found = calibration(probs, y)
    assert found.reading == "overconfident"
    assert found.overconfidence.value == pytest.approx(0.98 - (predicted == y).mean())
    assert found.ece.low <= found.ece.value <= found.ece.high
    assert sum(b.n for b in found.bins) == n


def test_confident_learning_flags_the_moved_labels_and_its_interval_covers_the_rate():
    given, probs, moved = noisy_predictions(1000, 10, 0.1, seed=1)
    found = label_noise(given, probs)
    flagged = np.array([s.index for s in found.suspects])
    assert moved[flagged].mean() >= 0.7 and moved[flagged].sum() / moved.sum() >= 0.5  # the bars
    assert found.rate.low <= moved.mean() <= found.rate.high
    margins = [s.margin for s in found.suspects]
    assert margins == sorted(margins, reverse=True)
    assert all(s.suggested != s.given for s in found.suspects)


def test_label_noise_past_the_exact_bootstrap_keeps_rate_and_suspects_and_bootstraps_the_cells(monkeypatch):
    import dldoctor.error_analysis.label_noise as module

    given, probs, moved = noisy_predictions(1000, 10, 0.1, seed=1)
    exact = label_noise(given, probs)
    monkeypatch.setattr(module, "EXACT_WORK", 0)  # as for a million rows of a thousand classes
    cells = label_noise(given, probs)
    assert cells.rate.value == exact.rate.value and cells.suspects == exact.suspects
    assert cells.rate.method == "bootstrap (thresholds fixed)"
    assert cells.rate.low < moved.mean() < cells.rate.high


def test_calibration_past_the_bootstrap_rows_shrinks_a_subsample_spread(monkeypatch):
    import dldoctor.error_analysis.calibration as module

    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.5, 1.0, 4000)
    correct = (rng.random(4000) < confidence - 0.05).astype(float)  # overconfident by 0.05
    whole = module.calibration_of(confidence, correct)
    monkeypatch.setattr(module, "BOOTSTRAP_ROWS", 1000)
    shrunk = module.calibration_of(confidence, correct)
    assert shrunk.ece.value == whole.ece.value and "m-out-of-n" in shrunk.ece.method
    assert shrunk.ece.low < whole.ece.value < shrunk.ece.high
    assert 0.5 < (shrunk.ece.high - shrunk.ece.low) / (whole.ece.high - whole.ece.low) < 2


def test_clean_labels_give_a_rate_near_zero():
    given, probs, _ = noisy_predictions(1000, 10, 0.0, seed=2)
    found = label_noise(given, probs)
    assert found.rate.value < 0.01 and found.rate.low == 0.0 and len(found.suspects) < 10


def test_the_ceiling_counts_flagged_errors_as_right_under_the_suggested_label():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.95, 0.05], [0.6, 0.4], [0.1, 0.9]])
    labels = np.array([0, 0, 1, 1, 1, 1])  # example 3 is labelled 1 but looks like a confident 0
    found = label_noise(labels, probs, index=np.array([10, 11, 12, 13, 14, 15]))
    assert [(s.index, s.given, s.suggested) for s in found.suspects] == [(13, 1, 0)]
    assert found.error == pytest.approx(2 / 6)  # examples 3 and 4 are misclassified
    assert found.error_if_relabelled == pytest.approx(1 / 6)


def test_class_errors_rank_classes_by_their_share_of_the_errors():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2])
    predicted = np.array([0, 0, 0, 1, 2, 2, 1, 1, 2, 2])
    found = class_errors(labels, predicted, 3)
    assert found.matrix == ((3, 1, 0), (0, 2, 2), (0, 0, 2))
    assert [(c.label, c.share_of_errors) for c in found.classes] == [(1, 2 / 3), (0, 1 / 3), (2, 0.0)]
    assert (
        found.classes[0].error.value == 0.5 and found.classes[0].error.low < 0.5 < found.classes[0].error.high
    )
    assert [(p.given, p.predicted, p.count) for p in found.pairs] == [(1, 2, 2), (0, 1, 1)]


def test_a_worse_slice_is_found_and_equal_slices_are_not():
    rng = np.random.default_rng(0)
    site = np.repeat(["a", "b", "c"], 400)
    errors = (rng.random(1200) < np.where(site == "a", 0.25, 0.05)).astype(float)
    age = rng.uniform(0, 90, 1200)  # many values: cut into quartiles
    found = slices(errors, {"site": site, "age": age}, "classification")
    assert found.tests == 3 + 4
    assert [(s.column, s.value) for s in found.worse] == [("site", "a")]
    assert found.worst.gap.value == pytest.approx(errors[site == "a"].mean() - errors[site != "a"].mean())
    assert "Bonferroni" in found.correction


def test_residuals_name_the_largest_errors_and_the_target_range_they_come_from():
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 10, 500)
    prediction = y + rng.normal(0, 0.1, 500) + np.where(y > 8, 2.0, 0.0)  # poor at the top of the range
    found = residuals(y, prediction, confidence=0.95)
    assert len(found.bins) == 5 and found.bins[-1].share_of_error > 0.8
    assert all(r.target > 8 for r in found.largest)


def test_analyse_skips_what_does_not_apply_and_refuses_non_finite_outputs():
    y = np.arange(20, dtype=float)
    regression = analyse({"dev": SplitPredictions(y, y + 1)}, "regression")
    assert regression.residuals is not None and regression.label_noise == {}
    assert set(regression.skipped) == {"label_noise", "calibration", "slices"}
    broken = analyse({"dev": SplitPredictions(y, y * np.nan)}, "regression")
    assert broken.residuals is None and "not finite" in broken.skipped["all"]


def test_metadata_is_validated_and_follows_train_into_a_carved_train_dev():
    x, y = np.zeros((100, 2), np.float32), np.arange(100) % 2
    metadata = {"train": {"id": np.arange(100)}, "dev": pd.DataFrame({"site": ["a", "b"] * 10})}
    splits = dd.Splits(train=(x, y), dev=(x[:20], y[:20]), metadata=metadata)
    data = prepare(splits, "classification", torch.device("cpu"), seed=0)
    assert (data.metadata["train_dev"]["id"] == data.train_dev_index).all()
    assert len(data.metadata["train"]["id"]) == len(data.train)
    assert list(data.metadata["dev"]["site"][:2]) == ["a", "b"]
    bad = dd.Splits(train=(x, y), dev=(x[:20], y[:20]), metadata={"dev": {"site": ["a"] * 19}})
    with pytest.raises(DataError, match=r"metadata\['dev'\]\['site'\] has shape \(19,\)"):
        prepare(bad, "classification", torch.device("cpu"), seed=0)


@pytest.mark.parametrize("rate", [0.05, 0.10])
def test_moved_digits_labels_are_found_with_the_acceptance_precision_and_recall(rate):
    from label_noise import analyse_corrupted, outcome

    analysis, moved, _ = analyse_corrupted(rate, seed=0)
    for split, truth in moved.items():
        found = outcome(analysis, split, truth)
        assert found.precision >= 0.7 and found.recall >= 0.5, (split, found)
        assert found.covered, (split, found)


def test_the_error_analysis_section_reports_the_duplicate_search():
    from dldoctor.report.error_summary import error_analysis_markdown
    from dldoctor.report.model import ReportData

    analysis = dict(split="dev", classes=None, residuals=None, label_noise={}, calibration=None, slices=None)
    leak = dict(
        query="dev",
        reference="train",
        n_query=300,
        n_reference=900,
        exact=12,
        near=3,
        radius=0.4,
        typical=4.0,
    )
    text = error_analysis_markdown(
        ReportData.from_dict(
            {"task": "classification", "error_analysis": {**analysis, "skipped": {}}, "leakage": [leak]}
        )
    )
    assert "Duplicates: 15 of 300 dev inputs also sit in train (12 exact, 3 within 0.4" in text
