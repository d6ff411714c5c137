"""Reading the optimisation probes: pure logic on hand-built evidence, each threshold from both sides."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dldoctor.diagnosis import (
    CriticalPoint,
    EasierModelResult,
    Evidence,
    GradientHealth,
    LayerHealth,
    Policy,
    RangeTest,
    SanityChecks,
    Setup,
    TrainingSignals,
    conclude,
)
from dldoctor.diagnosis.probes import assess
from dldoctor.stats import Estimate, wilson

SETUP = Setup(optimizer="sgd", lr=0.1, beta=0.0, batch_size=64, epochs=12, weight_decay=0.0, n_train=5000)
LAYERS = (LayerHealth("0", 0.01, 1e-3), LayerHealth("2", 1.0, 1e-3))
HEALTHY_GRADIENTS = GradientHealth(48, 0.5, 1e-3, 0.1, 0.05, LAYERS)
FITS = SanityChecks(2.3, 2.30, 16, 2.3, 0.01, 37, 0.001, 2.2)
STUCK = TrainingSignals(2.3, 2.2, (2.3,) * 12, (0.9,) * 12, step_losses=(2.25,) * 64)


def evidence(
    train: int = 4000,
    gradients: GradientHealth | None = HEALTHY_GRADIENTS,
    sanity: SanityChecks | None = FITS,
    critical: CriticalPoint | None = None,
    training: TrainingSignals = STUCK,
    easier: tuple[EasierModelResult, ...] = (),
    range_test: RangeTest | None = None,
) -> Evidence:
    errors = {k: wilson(train, 5000) for k in ("train", "train_dev", "dev")}
    bayes = Estimate(0.01, 0.01, 0.01, None, "exact")
    return Evidence(
        "classification",
        1.0,
        errors,
        bayes,
        training,
        SETUP,
        easier_models=easier,
        sanity=sanity,
        gradients=gradients,
        critical_point=critical,
        range_test=range_test,
    )


def status(ev: Evidence, probe: str) -> str | None:
    return next((o.status for o in assess(ev) if o.probe == probe), None)


@pytest.mark.parametrize(
    ("ratio", "probe", "expected"),
    [
        (1e-5, "gradients.vanishing", "warn"),
        (1e4, "gradients.exploding", "warn"),
        (0.3, "gradients.flow", "ok"),
    ],
)
def test_first_to_last_gradient_ratio(ratio, probe, expected):
    assert status(evidence(gradients=replace(HEALTHY_GRADIENTS, first_last_ratio=ratio)), probe) == expected


@pytest.mark.parametrize(("ratio", "expected"), [(1e-7, "warn"), (1e-3, "ok"), (0.5, "warn")])
def test_update_to_weight_ratio_flags_both_ends(ratio, expected):
    ev = evidence(gradients=replace(HEALTHY_GRADIENTS, update_ratio=ratio))
    assert status(ev, "gradients.update_ratio") == expected


@pytest.mark.parametrize(("share", "expected"), [(0.95, "warn"), (0.3, "ok")])
def test_dead_relu_share(share, expected):
    assert (
        status(evidence(gradients=replace(HEALTHY_GRADIENTS, dead_relu=share)), "activations.dead_relu")
        == expected
    )


@pytest.mark.parametrize(("share", "expected"), [(0.8, "warn"), (0.1, "ok")])
def test_saturated_sigmoid_share(share, expected):
    ev = evidence(gradients=replace(HEALTHY_GRADIENTS, saturation=share))
    assert status(ev, "activations.saturation") == expected


def test_a_batch_a_linear_model_fits_but_the_network_cannot_is_a_strong_warning():
    stuck = replace(FITS, batch_final_loss=2.0)
    run = replace(STUCK, steps_per_epoch=63)  # 756 steps, far more than the test's 37
    (outcome,) = [o for o in assess(evidence(sanity=stuck, training=run)) if o.probe == "sanity.one_batch"]
    assert outcome.status == "warn" and outcome.strong
    (short,) = [o for o in assess(evidence(sanity=stuck)) if o.probe == "sanity.one_batch"]  # 12 steps
    assert short.status == "warn" and not short.strong
    hard = replace(stuck, linear_batch_loss=1.9)
    assert status(evidence(sanity=hard), "sanity.one_batch") == "info"


def test_an_overconfident_start_is_flagged():
    assert status(evidence(sanity=replace(FITS, initial_loss=25.0)), "sanity.initial_loss") == "warn"
    assert status(evidence(), "sanity.initial_loss") == "ok"


def test_a_model_that_ignores_its_inputs_is_flagged():
    ignores = replace(FITS, batch_final_loss=1.2, zeroed_final_loss=1.2)
    assert status(evidence(sanity=ignores), "sanity.zeroed_inputs") == "warn"
    assert status(evidence(), "sanity.zeroed_inputs") == "ok"


def easier(baseline_loss: float = 0.05, model_loss: float = 2.2) -> EasierModelResult:
    gap = model_loss - baseline_loss
    return EasierModelResult(
        "logistic regression", model_loss, baseline_loss, 0.8, 0.01, Estimate(gap, gap - 0.1, gap + 0.1), 5000
    )


def test_a_plateau_counts_only_far_above_what_an_easier_model_reaches():
    assert status(evidence(easier=(easier(),)), "curve.plateau") == "warn"
    assert status(evidence(easier=(easier(baseline_loss=2.0),)), "curve.plateau") is None
    assert status(evidence(), "curve.plateau") is None  # no easier model: no yardstick


def test_oscillation_needs_repeated_rises_in_the_second_half():
    zigzag = replace(STUCK, epoch_losses=(2.3, 1.5, 1.2, 1.0, 1.4, 1.0, 1.5, 1.0, 1.6, 1.0, 1.5, 1.1))
    assert status(evidence(training=zigzag, easier=(easier(),)), "curve.oscillation") == "warn"
    calm = replace(STUCK, epoch_losses=(2.3, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 0.8, 0.79, 0.79, 0.78, 0.78))
    assert status(evidence(training=calm, easier=(easier(),)), "curve.oscillation") is None


def test_still_falling_at_the_end_is_information_not_alarm():
    falling = replace(STUCK, epoch_losses=tuple(2.3 * 0.8**i for i in range(12)))
    assert status(evidence(training=falling), "curve.still_falling") == "info"


def test_a_saddle_at_the_end_of_training_is_a_strong_warning():
    saddle = CriticalPoint(2.2, 1e-4, 0.3, -0.3, 0.5, 512, 72, 0.1)
    (outcome,) = [o for o in assess(evidence(critical=saddle)) if o.probe == "hessian.critical_point"]
    assert outcome.status == "warn" and outcome.strong and outcome.numbers["verdict"] == "saddle point"
    minimum = replace(saddle, lambda_min=-1e-4)
    assert status(evidence(critical=minimum), "hessian.critical_point") == "ok"


def test_without_an_easier_model_a_strong_probe_turns_high_bias_into_optimisation_failure():
    vanishing = replace(HEALTHY_GRADIENTS, first_last_ratio=1e-6)
    d = conclude(evidence(gradients=vanishing), Policy())
    assert d.verdict == "optimization_failure"
    assert d.findings[0].evidence["probes"][0]["probe"] == "gradients.vanishing"
    assert any("non-saturating" in tip for tip in d.findings[0].advice)


def test_a_weak_probe_alone_leaves_high_bias_alone_but_is_noted():
    # Steps a little large is no explanation of the fit (saturated units are: see test_diagnosis_setup).
    large_steps = replace(HEALTHY_GRADIENTS, update_ratio=0.5)
    d = conclude(evidence(gradients=large_steps), Policy())
    assert d.verdict == "high_bias"
    assert d.findings[0].evidence["optimisation_warnings"][0]["probe"] == "gradients.update_ratio"


def test_an_easier_model_that_does_no_better_outweighs_a_strong_probe():
    vanishing = replace(HEALTHY_GRADIENTS, first_last_ratio=1e-6)
    level = easier(baseline_loss=2.25, model_loss=2.2)
    level = replace(level, difference=Estimate(-0.05, -0.1, 0.0))
    assert conclude(evidence(gradients=vanishing, easier=(level,)), Policy()).verdict == "high_bias"


def test_mechanism_probes_are_listed_before_loss_curve_shapes():
    broken = replace(HEALTHY_GRADIENTS, dead_relu=0.9)
    d = conclude(evidence(gradients=broken, easier=(easier(),)), Policy())
    probes = [p["probe"] for p in d.findings[0].evidence["probes"]]
    assert probes.index("activations.dead_relu") < probes.index("curve.plateau")


def test_the_range_test_suggestion_reaches_the_advice():
    curve = RangeTest((1e-3, 1e-2, 1e-1), (2.3, 1.0, 5.0), 0.004, 0.01, 0.04, "sgd")
    d = conclude(
        evidence(gradients=replace(HEALTHY_GRADIENTS, update_ratio=1e-7), range_test=curve), Policy()
    )
    assert any("about 0.004" in tip for tip in d.findings[0].advice)
    no_reading = replace(curve, suggested_lr=None)
    d = conclude(
        evidence(gradients=replace(HEALTHY_GRADIENTS, update_ratio=1e-7), range_test=no_reading), Policy()
    )
    assert not any("range test's suggestion" in tip for tip in d.findings[0].advice)


def test_low_training_error_raises_no_optimisation_alarm_whatever_the_probes_say():
    vanishing = replace(HEALTHY_GRADIENTS, first_last_ratio=1e-6)
    assert conclude(evidence(train=50, gradients=vanishing), Policy()).verdict == "healthy"


def test_exploding_gradients_advise_clipping_near_the_90th_percentile():
    exploding = replace(HEALTHY_GRADIENTS, first_last_ratio=1e4, clip_norm=2.5)
    (outcome,) = [o for o in assess(evidence(gradients=exploding)) if o.probe == "gradients.exploding"]
    assert "Clip the gradient norm at about 2.5" in outcome.remedy
