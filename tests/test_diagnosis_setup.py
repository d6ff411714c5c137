"""High training error read by what explains it (issue 10): a set-up fault is an optimisation failure
whose remedy names the fault; a capacity fault, or nothing but a loss still falling, stays high bias."""

from __future__ import annotations

from dataclasses import replace

from test_regimen import REGIMEN as TRAINED

from dldoctor.diagnosis import (
    EasierModelResult,
    Evidence,
    GradientHealth,
    ModelCheck,
    Policy,
    Setup,
    TrainingSignals,
    conclude,
)
from dldoctor.stats import Estimate, wilson

SETUP = Setup(optimizer="adam", lr=1e-3, beta=0.9, batch_size=64, epochs=8, weight_decay=0.0, n_train=4000)
FALLING = TrainingSignals(2.3, 1.0, (2.0, 1.8, 1.6, 1.4, 1.3, 1.2, 1.1, 1.0), (0.6,) * 8)
FLAT = TrainingSignals(
    2.3, 1.0, (1.2, 1.0, 1.0, 1.0), (0.6,) * 4, steps_per_epoch=10, step_losses=(1.0,) * 40
)
REGIMEN = replace(TRAINED, lr=1e-3, lr_peak=1e-3, lr_final=1e-3, optimizer_steps=500, n_train=4000)
UNSHUFFLED = replace(REGIMEN, shuffle=False, label_order=1.0)
SOFTMAX = ModelCheck(
    "output_squashed",
    "the model ends in a softmax, and the loss (cross-entropy) applies its own",
    "Remove the final softmax: return raw logits and let the loss apply softmax.",
    capacity=False,
    setup=True,
)
BOTTLENECK = ModelCheck("bottleneck", "a hidden layer has only 2 units for 10 classes", "Widen that layer.")
SATURATED = GradientHealth(48, None, None, None, saturation=0.8)


def high_training_error(training: TrainingSignals = FALLING, **changes) -> Evidence:
    """Train, train-dev and dev all 30 points above a 2 % Bayes error."""
    errors = {"train": wilson(1280, 4000), "train_dev": wilson(160, 500), "dev": wilson(165, 500)}
    bayes = Estimate(0.02, 0.02, 0.02, None, "exact")
    return replace(Evidence("classification", 1.0, errors, bayes, training, SETUP), **changes)


def test_a_set_up_fault_explains_a_slow_fit_so_train_longer_does_not_win():
    d = conclude(high_training_error(regimen=UNSHUFFLED), Policy())
    assert d.verdict == "optimization_failure", d.reason
    assert "shuffle is off" in d.reason
    assert d.findings[0].advice[0].startswith("Set shuffle=True")
    assert not any(tip.startswith("Train longer") for tip in d.findings[0].advice)


def test_the_same_slow_fit_with_nothing_to_explain_it_is_high_bias_train_longer():
    d = conclude(high_training_error(regimen=REGIMEN), Policy())
    assert d.verdict == "high_bias"
    assert d.findings[0].advice[0].startswith("Train longer")


def test_a_softmax_fed_to_cross_entropy_is_an_optimisation_failure_naming_its_fix_first():
    d = conclude(high_training_error(model_checks=(SOFTMAX,)), Policy())
    assert d.verdict == "optimization_failure"
    assert d.findings[0].advice[0].startswith("Remove the final softmax")
    assert any("Do not add capacity" in tip for tip in d.findings[0].advice)


def test_saturated_units_are_a_set_up_fault_but_a_capacity_fault_outranks_them():
    saturated = high_training_error(gradients=SATURATED)
    assert conclude(saturated, Policy()).verdict == "optimization_failure"
    both = conclude(replace(saturated, model_checks=(BOTTLENECK,)), Policy())
    assert both.verdict == "high_bias"
    assert "Widen that layer." in both.findings[0].advice[:2]  # after "train longer": it is still falling


def test_a_set_up_reading_needs_high_training_error():
    # The same unshuffled set-up, but the model fits to the Bayes error: nothing to recast.
    fine = {"train": wilson(80, 4000), "train_dev": wilson(10, 500), "dev": wilson(10, 500)}
    d = conclude(high_training_error(regimen=UNSHUFFLED, errors=fine), Policy())
    assert d.verdict == "healthy"


def convex_fit(loss: float) -> EasierModelResult:
    return EasierModelResult(
        "logistic regression", 1.0, loss, 0.3, 0.02, Estimate(1.0 - loss, 0.9 - loss, 1.1 - loss), 4000
    )


def test_a_plateau_is_judged_against_an_easier_model_regularised_like_yours():
    # Flat far above an unregularised logistic fit: stuck, under no weight decay; under heavy weight
    # decay the decay itself holds the loss there, and the logistic fit is no yardstick.
    plain = high_training_error(FLAT, easier_models=(replace(convex_fit(0.01), decisive=False),))
    assert conclude(plain, Policy()).verdict == "optimization_failure"
    decayed = replace(plain, setup=replace(SETUP, weight_decay=0.1))
    assert conclude(decayed, Policy()).verdict == "high_bias"
