"""Turn measured evidence into a verdict: pure logic, trivially testable without torch."""

from __future__ import annotations

from dldoctor import fmt
from dldoctor.diagnosis import checks, probes, regimen
from dldoctor.diagnosis.evidence import (
    KINDS,
    PROBLEMS,
    SEVERITIES,
    VERDICTS,
    CriticalPoint,
    Diagnosis,
    EasierModelResult,
    Evidence,
    Finding,
    Gap,
    GradientHealth,
    LayerHealth,
    LearningCurve,
    MismatchTest,
    Policy,
    RangeTest,
    Regimen,
    SanityChecks,
    Setup,
    TrainingSignals,
)
from dldoctor.diagnosis.gaps import decompose, threshold
from dldoctor.diagnosis.probes import ProbeOutcome

__all__ = [
    "KINDS",
    "PROBLEMS",
    "SEVERITIES",
    "VERDICTS",
    "CriticalPoint",
    "Diagnosis",
    "EasierModelResult",
    "Evidence",
    "Finding",
    "Gap",
    "GradientHealth",
    "LayerHealth",
    "LearningCurve",
    "MismatchTest",
    "Policy",
    "ProbeOutcome",
    "RangeTest",
    "Regimen",
    "SanityChecks",
    "Setup",
    "TrainingSignals",
    "conclude",
    "needs_easier_models",
    "needs_range_test",
]


def conclude(ev: Evidence, policy: Policy) -> Diagnosis:
    """The verdict: within target → healthy; else the dominant problem; else cannot tell; else healthy.

    A failed optimisation outranks every gap: until training works, the gaps describe a model
    that was never really fitted.
    """
    gaps = decompose(ev, policy)
    outcomes = probes.assess(ev) + regimen.assess(ev)
    if _within(ev, policy):
        return Diagnosis("healthy", _within_target(ev, gaps, policy), [], gaps, outcomes)
    problems = _problems(ev, gaps, policy, outcomes)
    if problems:
        return Diagnosis(problems[0].kind, problems[0].summary, problems, gaps, outcomes)
    unsure = sorted(checks.undecided(ev, gaps, policy), key=lambda f: -f.evidence["value"])
    if unsure:
        return Diagnosis("inconclusive", unsure[0].summary, unsure, gaps, outcomes)
    return Diagnosis("healthy", _no_material_gap(ev, gaps, policy), [], gaps, outcomes)


def needs_easier_models(ev: Evidence, policy: Policy) -> str | None:
    """None when trained easier models are worth their cost: training error is materially too high."""
    bias = decompose(ev, policy).get("avoidable_bias")
    if bias is None or not (bias.significant and bias.material):
        return "not needed: avoidable bias is not both significant and material"
    if ev.training.nonfinite_step is not None:
        return "not needed: training diverged"
    return None


def needs_range_test(ev: Evidence, policy: Policy) -> str | None:
    """None when the evidence so far finds an optimisation failure the range test can explain."""
    if not _within(ev, policy):
        found = _problems(ev, decompose(ev, policy), policy, probes.assess(ev))
        if any(f.kind == "optimization_failure" for f in found):
            return None
    return "not needed: no optimisation failure"


def _within(ev: Evidence, policy: Policy) -> bool:
    return policy.target_error is not None and ev.errors["dev"].value <= policy.target_error


def _problems(
    ev: Evidence, gaps: dict[str, Gap], policy: Policy, outcomes: list[ProbeOutcome]
) -> list[Finding]:
    """Every problem finding, the one that decides the verdict first."""
    problems = checks.divergence(ev) or checks.optimisation(
        ev, checks.gap_findings(ev, gaps, policy), outcomes
    )
    problems.sort(key=lambda f: (f.kind != "optimization_failure", -f.evidence.get("gap", 0.0)))
    return problems


def _within_target(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> str:
    reason = (
        f"Dev error {fmt.error(ev.errors['dev'].value, ev.task)} is within your target"
        f" {fmt.error(policy.target_error, ev.task)}."
    )
    flagged = [g.name.replace("_", " ") for g in gaps.values() if g.significant and g.material]
    if flagged:
        reason += f" Without the target, these gaps would be flagged: {', '.join(flagged)}."
    return reason


def _no_material_gap(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> str:
    unit = fmt.gap(threshold(ev, policy), ev.task).lstrip("+")
    largest = max(gaps.values(), key=lambda g: g.estimate.value)
    return (
        f"No gap is both significant and at least {unit}. The largest is"
        f" {largest.name.replace('_', ' ')}, {fmt.gap(largest.estimate.value, ev.task)}"
        f" ({fmt.confidence(policy.confidence)} CI"
        f" {fmt.interval(largest.estimate, ev.task, signed=True)})."
    )
