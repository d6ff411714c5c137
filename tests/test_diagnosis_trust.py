"""Verdicts to trust: healthy reads healthy on small splits, and faults the gaps hide get their names
(leakage the duplicate search cannot see, a selected dev sample, a training error worse than a guess)."""

from __future__ import annotations

from dataclasses import replace

from test_diagnosis import CALM, SETUP, rate

from dldoctor.diagnosis import (
    Duplicates,
    EasierModelResult,
    Evidence,
    MismatchTest,
    ModelCheck,
    Policy,
    SanityChecks,
    TrainingSignals,
    conclude,
)
from dldoctor.stats import Estimate


def observed(
    train: tuple[int, int],
    train_dev: tuple[int, int],
    dev: tuple[int, int],
    bayes: Estimate | None,
    test: tuple[int, int] | None = None,
    **fields: object,
) -> Evidence:
    errors = {"train": rate(*train), "train_dev": rate(*train_dev), "dev": rate(*dev)}
    if test is not None:
        errors["test"] = rate(*test)
    ev = Evidence("classification", 1.0, errors, bayes, CALM, SETUP)
    return replace(ev, **fields)  # type: ignore[arg-type]


def given(value: float) -> Estimate:
    return Estimate(value, value, value, None, "exact")


def estimated(value: float, half: float) -> Estimate:
    return Estimate(value, value - half, value + half, 5000, "bootstrap")


def twins(split: str, found: int, n: int) -> Duplicates:
    return Duplicates(split, "train", n, 5000, found, 0, 0.3, 3.0)


def test_dev_duplicates_at_the_rate_train_dev_shows_by_chance_are_not_leakage():
    chance = (twins("dev", 1, 30), twins("train_dev", 1, 30))
    ev = observed((1, 90), (1, 30), (1, 30), estimated(0.03, 0.02), leakage=chance)
    assert conclude(ev, Policy()).verdict == "healthy"


def test_dev_duplicates_far_above_train_devs_share_are_leakage():
    found = (twins("dev", 120, 500), twins("train_dev", 2, 500))
    d = conclude(observed((50, 5000), (25, 500), (5, 500), given(0.01), leakage=found), Policy())
    assert d.verdict == "data_leakage"
    assert d.findings[0].evidence["chance_share"] == 2 / 500


def test_held_out_errors_far_below_a_given_bayes_error_are_leakage():
    d = conclude(observed((80, 4000), (24, 1000), (15, 1000), given(0.21)), Policy())
    assert d.verdict == "data_leakage"
    assert "wrong Bayes error" in d.reason


def test_held_out_errors_below_an_estimated_bayes_error_are_not_read_as_leakage():
    d = conclude(observed((80, 4000), (24, 1000), (20, 1000), estimated(0.025, 0.005)), Policy())
    assert d.verdict == "healthy"


def test_dev_scoring_between_train_and_train_dev_and_below_bayes_is_leakage():
    # a memorising model: 0 % on train, 15 % on new sources, 3 % on dev — as if most of dev was seen
    d = conclude(observed((0, 2000), (150, 1000), (30, 1000), estimated(0.07, 0.009)), Policy())
    assert d.verdict == "data_leakage"
    assert 0.7 < d.findings[0].evidence["seen_share"] < 0.9


def test_dev_easier_than_the_training_data_itself_stays_a_mismatch():
    # noisy training labels, clean dev labels: dev below train, which no leak can explain
    d = conclude(observed((1700, 5000), (200, 600), (120, 2000), estimated(0.33, 0.01)), Policy())
    assert d.verdict == "data_mismatch"


def test_dev_easier_than_train_dev_and_than_a_test_set_drawn_like_it_is_dev_overfit():
    ev = observed((800, 3000), (305, 1000), (40, 200), estimated(0.29, 0.015), test=(550, 2000))
    d = conclude(ev, Policy())
    assert d.verdict == "dev_overfit"
    assert all(f.kind != "data_mismatch" for f in d.findings)


def test_dev_and_test_both_easier_than_train_dev_is_a_mismatch():
    ev = observed((800, 3000), (305, 1000), (40, 200), estimated(0.29, 0.015), test=(400, 2000))
    assert conclude(ev, Policy()).verdict == "data_mismatch"


def test_an_excess_that_may_be_immaterial_with_no_component_established_is_healthy():
    # total +1.8 pts, interval +0.4 to +3.4: real, perhaps, but perhaps under the 1 pt that matters
    ev = observed((256, 8000), (104, 2000), (122, 2000), estimated(0.043, 0.004))
    d = conclude(ev, Policy())
    assert d.gaps["total_excess"].significant and d.gaps["total_excess"].estimate.low < 0.01
    assert d.verdict == "healthy" and "No established cause" in d.reason


def test_a_materially_established_excess_with_no_component_established_is_inconclusive():
    ev = observed((0, 200), (185, 1000), (216, 1000), given(0.1587))
    d = conclude(ev, Policy())
    assert d.gaps["total_excess"].estimate.low >= 0.01
    assert d.verdict == "inconclusive"


def test_a_small_dev_set_a_few_points_easier_is_not_a_mismatch_on_the_two_sample_test_alone():
    rejects = MismatchTest(0.05, 0.03, 0.22, 39, 39, 500, 1.0, "embedding")
    ev = observed((0, 100), (2, 39), (1, 39), estimated(0.02, 0.02), mismatch=rejects)
    assert conclude(ev, Policy()).verdict == "healthy"


FALLING = TrainingSignals(1.8, 0.05, (0.7, 0.2, 0.14, 0.1, 0.08, 0.06, 0.05), (0.96,) * 7)


def test_a_training_error_worse_than_a_blind_guess_is_an_optimisation_failure():
    ev = observed((3860, 4000), (960, 1000), (960, 1000), estimated(0.03, 0.005), chance_error=2 / 3)
    d = conclude(replace(ev, training=FALLING), Policy())
    assert d.verdict == "optimization_failure"
    assert "blind guess" in d.reason


def test_a_capacity_fault_explains_a_training_error_worse_than_a_blind_guess():
    capped = ModelCheck("output_range", "the outputs lie in [0, 1]", "Remove the final Sigmoid.")
    ev = observed((3860, 4000), (960, 1000), (960, 1000), estimated(0.03, 0.005), chance_error=2 / 3)
    d = conclude(replace(ev, training=FALLING, model_checks=(capped,)), Policy())
    assert d.verdict == "high_bias"


def test_a_poor_fit_better_than_a_guess_is_still_high_bias():
    ev = observed((1700, 4000), (430, 1000), (430, 1000), estimated(0.03, 0.005), chance_error=2 / 3)
    assert conclude(replace(ev, training=FALLING), Policy()).verdict == "high_bias"


def test_a_training_error_at_a_blind_guess_is_an_optimisation_failure():
    # 90.4 % against 90 % for ten classes: not significantly above chance, but not below it either
    ev = observed((3616, 4000), (905, 1000), (903, 1000), estimated(0.03, 0.005), chance_error=0.9)
    d = conclude(replace(ev, training=FALLING), Policy())
    assert d.verdict == "optimization_failure" and "no better than" in d.reason


def linear_fit(error: float, decisive: bool = True) -> EasierModelResult:
    return EasierModelResult(
        "logistic regression",
        0.6933,
        0.6931,
        0.556,
        error,
        Estimate(0.0002, -0.001, 0.001),
        4000,
        "convex",
        decisive=decisive,
    )


def test_a_linear_class_at_chance_is_high_bias_not_a_broken_set_up():
    # a linear network on concentric circles: its best convex fit sits at chance too
    ev = observed((2224, 4000), (558, 1000), (558, 1000), estimated(0.0, 0.005), chance_error=0.5)
    d = conclude(replace(ev, training=FALLING, easier_models=(linear_fit(0.4995),)), Policy())
    assert d.verdict == "high_bias"


def test_a_convex_fit_the_network_cannot_represent_does_not_excuse_a_guess():
    ev = observed((2224, 4000), (558, 1000), (558, 1000), estimated(0.0, 0.005), chance_error=0.5)
    d = conclude(replace(ev, training=FALLING, easier_models=(linear_fit(0.4995, decisive=False),)), Policy())
    assert d.verdict == "optimization_failure"


def nearness(nearer: int, of: int) -> tuple[Duplicates, ...]:
    return (replace(twins("dev", 0, 800), nearer=nearer, nearer_of=of), twins("train_dev", 0, 900))


def test_dev_easier_than_train_dev_and_nearer_the_training_set_is_leakage():
    # sources on both sides: dev not below the Bayes estimate, but its rows sit next to training rows
    ev = observed((0, 1600), (171, 900), (40, 800), estimated(0.05, 0.012), leakage=nearness(700, 800))
    d = conclude(ev, Policy())
    assert d.verdict == "data_leakage" and "nearer the training set" in d.reason


def test_dev_easier_than_train_dev_but_as_near_the_training_set_stays_a_mismatch():
    ev = observed((0, 1600), (171, 900), (40, 800), estimated(0.05, 0.012), leakage=nearness(410, 800))
    assert conclude(ev, Policy()).verdict == "data_mismatch"


def shallower(curve: tuple[float, ...]) -> EasierModelResult:
    return EasierModelResult(
        "shallower version", 0.3, 0.08, 0.11, 0.03, Estimate(0.22, 0.2, 0.24), 4000, "shallower", curve
    )


def test_a_representable_model_ahead_after_the_runs_own_epochs_is_a_failure_though_still_falling():
    ev = observed((452, 4000), (111, 1000), (108, 1000), estimated(0.03, 0.005), training=FALLING)
    ahead = shallower((0.5, 0.3, 0.2, 0.1, 0.06, 0.04, 0.03, 0.02, 0.01))
    assert conclude(replace(ev, easier_models=(ahead,)), Policy()).verdict == "optimization_failure"


def test_a_representable_model_ahead_only_after_more_epochs_means_train_longer():
    ev = observed((452, 4000), (111, 1000), (108, 1000), estimated(0.03, 0.005), training=FALLING)
    later = shallower((2.0, 1.5, 1.0, 0.5, 0.3, 0.2, 0.1, 0.02, 0.01))
    d = conclude(replace(ev, easier_models=(later,)), Policy())
    assert d.verdict == "high_bias" and "train longer" in d.reason


def batch_unfit(steps_per_epoch: int) -> Evidence:
    sanity = SanityChecks(0.7, 0.69, 16, 164.0, 12.8, 200, 0.67, None)
    training = replace(FALLING, steps_per_epoch=steps_per_epoch)
    return observed(
        (452, 4000), (111, 1000), (108, 1000), estimated(0.03, 0.005), training=training, sanity=sanity
    )


def test_a_batch_unfit_in_more_steps_than_the_run_took_is_no_broken_set_up():
    assert conclude(batch_unfit(steps_per_epoch=20), Policy()).verdict == "high_bias"  # 140 steps < 200


def test_a_batch_unfit_in_fewer_steps_than_the_run_took_is_a_broken_set_up():
    assert conclude(batch_unfit(steps_per_epoch=100), Policy()).verdict == "optimization_failure"
