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
    Duplicates,
    EasierModelResult,
    Evidence,
    Finding,
    Gap,
    GradientHealth,
    LayerHealth,
    LearningCurve,
    MismatchTest,
    ModelCheck,
    Policy,
    RangeTest,
    Regimen,
    SanityChecks,
    Setup,
    TrainingSignals,
)
from dldoctor.diagnosis.gaps import SPEC, decompose, threshold
from dldoctor.diagnosis.probes import ProbeOutcome

__all__ = [
    "KINDS",
    "PROBLEMS",
    "SEVERITIES",
    "VERDICTS",
    "CriticalPoint",
    "Diagnosis",
    "Duplicates",
    "EasierModelResult",
    "Evidence",
    "Finding",
    "Gap",
    "GradientHealth",
    "LayerHealth",
    "LearningCurve",
    "MismatchTest",
    "ModelCheck",
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
    """The verdict: within target → healthy; training blew up → optimisation failure; else judge the total.

    The total excess dev − Bayes decides whether there is anything material to gain: only an
    established one (interval clear of zero, point material) is attributed to its components
    (avoidable bias, recoverable variance, mismatch), or called inconclusive when none of them is
    established. Problems that the total cannot show come first: leaked dev examples, and a dev
    set *easier* than train-dev.
    """
    gaps = decompose(ev, policy)
    outcomes = probes.assess(ev) + regimen.assess(ev)
    if _within(ev, policy):
        return Diagnosis("healthy", _within_target(ev, gaps, policy), [], gaps, outcomes)
    if blown := checks.divergence(ev):
        return Diagnosis(blown[0].kind, blown[0].summary, blown, gaps, outcomes)
    problems, unsure = _problems(ev, gaps, policy, outcomes)
    if problems:
        return Diagnosis(problems[0].kind, problems[0].summary, problems, gaps, outcomes)
    if unsure:
        return Diagnosis("inconclusive", unsure[0].summary, unsure, gaps, outcomes)
    return Diagnosis("healthy", _nothing_to_gain(ev, gaps, policy), [], gaps, outcomes)


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
        gaps = decompose(ev, policy)
        found = checks.divergence(ev) or _problems(ev, gaps, policy, probes.assess(ev))[0]
        if any(f.kind == "optimization_failure" for f in found):
            return None
    return "not needed: no optimisation failure"


def _within(ev: Evidence, policy: Policy) -> bool:
    return policy.target_error is not None and ev.errors["dev"].value <= policy.target_error


def _problems(
    ev: Evidence, gaps: dict[str, Gap], policy: Policy, outcomes: list[ProbeOutcome]
) -> tuple[list[Finding], list[Finding]]:
    """(every problem finding, the one that decides the verdict first; the cannot-tells)."""
    attributed, unsure = checks.attribute(ev, gaps, policy)
    problems = [
        *checks.leakage(ev, policy),
        *checks.hidden_leakage(ev, gaps, policy),
        *checks.optimisation(ev, attributed, outcomes),
        *checks.reversed_mismatch(ev, gaps, policy),
        *checks.dev_overfit(ev, gaps, policy),
    ]
    return checks.rank(ev, problems), unsure


def _within_target(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> str:
    reason = (
        f"Dev error {fmt.error(ev.errors['dev'].value, ev.task)} is within your target"
        f" {fmt.error(policy.target_error, ev.task)}."
    )
    shown = [g for g in gaps.values() if SPEC[g.name].judged]
    flagged = [g.name.replace("_", " ") for g in shown if g.significant and g.material]
    if flagged:
        reason += f" Without the target, these gaps would be flagged: {', '.join(flagged)}."
    return reason


def _nothing_to_gain(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> str:
    unit = fmt.gap(threshold(ev, policy), ev.task).lstrip("+")
    level = fmt.confidence(policy.confidence)
    total = gaps.get("total_excess")
    if total is not None:
        reason = (
            f"dev error {fmt.error(ev.errors['dev'].value, ev.task)} is"
            f" {fmt.gap(total.estimate.value, ev.task)} from the Bayes error"
            f" {fmt.error(ev.bayes.value if ev.bayes else None, ev.task)} ({level} CI"
            f" {fmt.interval(total.estimate, ev.task, signed=True)}, jointly with every gap)"
        )
        if not total.material:
            return f"Nothing material to gain: {reason}, under the {unit} that matters."
        if total.significant:
            return (
                f"No established cause: {reason}; no component of it is established, and the excess may be"
                f" under the {unit} that matters."
            )
        return f"No established excess: {reason}, an interval that includes zero.{_to_settle(ev, total)}"
    largest = max(gaps.values(), key=lambda g: g.estimate.value)
    return (
        f"No gap is both significant and at least {unit}. The largest is"
        f" {largest.name.replace('_', ' ')}, {fmt.gap(largest.estimate.value, ev.task)}"
        f" ({level} CI {fmt.interval(largest.estimate, ev.task, signed=True)})."
    )


def _to_settle(ev: Evidence, total: Gap) -> str:
    """Which split to grow, and by about how much, to tell the point estimate from zero."""
    extra = checks.more_examples_needed(ev, total)
    more = " and ".join(f"about {n:,} more {split.replace('_', '-')} examples" for split, n in extra.items())
    if not more:
        return ""
    size = fmt.gap(total.estimate.value, ev.task)
    return f" {more[0].upper()}{more[1:]} would tell whether the {size} is real."
