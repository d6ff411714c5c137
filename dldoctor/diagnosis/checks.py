"""Checks: each reads the evidence and returns findings, or none."""

from __future__ import annotations

import math
from dataclasses import asdict, replace

from dldoctor import fmt
from dldoctor.diagnosis import advice
from dldoctor.diagnosis.evidence import EasierModelResult, Evidence, Finding, Gap, Policy, TrainingSignals
from dldoctor.diagnosis.gaps import SPEC, ends, threshold
from dldoctor.diagnosis.probes import ProbeOutcome
from dldoctor.stats import extra_examples_needed

EXPLOSION = 10.0  # peak epoch loss over initial loss that counts as blown up
NO_RECOVERY = 0.9  # ... when the final loss is still at least this share of the initial loss
WORSE_THAN_START = 1.5  # final loss over initial loss that counts as diverged on its own
EASIER_MARGIN = 0.10  # the easier model's training loss must be this much lower, relatively
SPECIFICITY = ("gradients", "activations", "hessian", "sanity", "curve")

ADVICE = {
    "high_bias": advice.high_bias,
    "high_variance": advice.high_variance,
    "data_mismatch": advice.data_mismatch,
    "dev_overfit": advice.dev_overfit,
}


def severity(size: float, unit: float) -> str:
    """How far past the materiality threshold a gap is: 5× high, 2× medium, else low."""
    if size >= 5 * unit:
        return "high"
    return "medium" if size >= 2 * unit else "low"


def divergence(ev: Evidence) -> list[Finding]:
    """Training blew up: a non-finite loss, or a loss that rose far above where it started."""
    blown = _blow_up(ev.training)
    if blown is None:
        return []
    summary, rule = blown
    t = ev.training
    evidence = {
        "rule": rule,
        "initial_loss": t.initial_loss,
        "final_loss": t.final_loss,
        "epoch_losses": list(t.epoch_losses),
        "nonfinite_step": t.nonfinite_step,
        "nonfinite_origin": ev.gradients.nonfinite_origin if ev.gradients else None,
        "lr": ev.setup.lr,
        "range_test_lr": ev.range_test.suggested_lr if ev.range_test else None,
    }
    return [
        Finding(
            "optimization_failure",
            "high",
            f"Optimisation failed: {summary}.",
            evidence,
            advice.divergence(ev),
        )
    ]


def _blow_up(t: TrainingSignals) -> tuple[str, str] | None:
    """(what happened, the rule that caught it), or None when the loss stayed sane."""
    if t.nonfinite_step is not None:
        epoch = (t.nonfinite_step - 1) // t.steps_per_epoch + 1
        return (
            f"the training loss became NaN or infinite at step {t.nonfinite_step} (epoch {epoch})",
            "a non-finite training loss",
        )
    start = t.initial_loss
    if not (math.isfinite(start) and start > 0):
        return None
    peak = max(t.epoch_losses, default=start)
    if peak > EXPLOSION * start and t.final_loss >= NO_RECOVERY * start:
        return (
            f"the training loss blew up to {peak:.3g} from {start:.3g} and never came back down",
            f"peak epoch loss > {EXPLOSION:g}× the initial loss, final ≥ {NO_RECOVERY:g}× initial",
        )
    if t.final_loss > WORSE_THAN_START * start:
        return (
            f"training ended at loss {t.final_loss:.3g}, worse than the {start:.3g} it started from",
            f"final training loss > {WORSE_THAN_START:g}× the loss at initialisation",
        )
    return None


def gap_findings(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """One finding per gap that is both significant and material."""
    unit = threshold(ev, policy)
    return [_gap_finding(ev, gap, policy, unit) for gap in gaps.values() if gap.significant and gap.material]


def _gap_finding(ev: Evidence, gap: Gap, policy: Policy, unit: float) -> Finding:
    spec = SPEC[gap.name]
    upper, lower = ends(ev, gap)
    level = fmt.confidence(policy.confidence)
    summary = (
        f"{spec.kind.replace('_', ' ').capitalize()}: {fmt.split(gap.upper)} error"
        f" {fmt.error(upper.value, ev.task)} vs {fmt.split(gap.lower)}"
        f" {fmt.error(lower.value, ev.task)}, a gap of {fmt.gap(gap.estimate.value, ev.task)}"
        f" ({level} CI {fmt.interval(gap.estimate, ev.task, signed=True)}) — {spec.meaning}."
    )
    return Finding(
        spec.kind,
        severity(gap.estimate.value, unit),
        summary,
        _gap_evidence(ev, gap, policy, unit),
        ADVICE[spec.kind](ev),
    )


def _gap_evidence(ev: Evidence, gap: Gap, policy: Policy, unit: float) -> dict:
    upper, lower = ends(ev, gap)
    return _two_sample(ev, gap) | {
        "rule": (
            f"{gap.name} = {gap.upper} − {gap.lower}; flagged when its interval excludes 0 and it is at"
            f" least {fmt.gap(unit, ev.task).lstrip('+')}; intervals hold jointly at"
            f" {fmt.confidence(policy.confidence)} over all gaps (each widened {gap.widen:.2f}×, Bonferroni)"
        ),
        "gap": gap.estimate.value,
        "interval": list(gap.estimate.interval),
        gap.upper: upper.value,
        gap.lower: lower.value,
        f"{gap.upper}_interval": list(upper.interval),
        f"{gap.lower}_interval": list(lower.interval),
        "threshold": unit,
        "confidence": policy.confidence,
    }


def _two_sample(ev: Evidence, gap: Gap) -> dict:
    """The train-dev vs dev two-sample test corroborates (or not) a data-mismatch gap."""
    if gap.name != "data_mismatch" or ev.mismatch is None:
        return {}
    return {"mismatch_test": asdict(ev.mismatch)}


def optimisation(ev: Evidence, findings: list[Finding], outcomes: list[ProbeOutcome]) -> list[Finding]:
    """Recast high bias as optimisation failure when the training set could have been fitted better.

    The deciding evidence is an easier model reaching a clearly lower training loss. Probes explain
    *why*; on their own they decide only when no easier model could be run, and then only the
    strong ones (vanishing gradients, dead units, tiny updates, a saddle, a batch it cannot learn).
    """
    bias = next((f for f in findings if f.kind == "high_bias"), None)
    if bias is None:
        return findings
    beaten = [m for m in ev.easier_models if _fits_better(m)]
    warned = sorted((o for o in outcomes if o.status == "warn"), key=_specificity)
    strong = [o for o in warned if o.strong]
    if not beaten and (ev.easier_models or not strong):
        if not warned:
            return findings
        noted = replace(bias, evidence={**bias.evidence, "optimisation_warnings": _probe_evidence(warned)})
        return [noted if f is bias else f for f in findings]
    recast = Finding(
        "optimization_failure",
        bias.severity,
        _failure_summary(ev, beaten, warned or strong),
        {
            "rule": (
                "high training error, and an easier model fits the training set better (paired interval"
                f" excludes 0, at least {100 * EASIER_MARGIN:g}% lower)"
                if beaten
                else "high training error, no easier model could run, and a strong probe fired"
            ),
            "easier_models": [_comparison(m) for m in ev.easier_models],
            "probes": _probe_evidence(warned),
            "avoidable_bias": bias.evidence,
        },
        _unique([*(o.remedy for o in warned if o.remedy), *advice.failed_optimisation(ev)]),
    )
    return [recast if f is bias else f for f in findings]


def _specificity(o: ProbeOutcome) -> int:
    """Probes that name a mechanism (gradients, units, curvature) explain more than loss-curve shapes."""
    family = o.probe.split(".")[0]
    return SPECIFICITY.index(family) if family in SPECIFICITY else len(SPECIFICITY)


def _fits_better(m: EasierModelResult) -> bool:
    return m.difference.low > 0 and m.difference.value >= EASIER_MARGIN * m.model_loss


def _failure_summary(ev: Evidence, beaten: list[EasierModelResult], warned: list[ProbeOutcome]) -> str:
    parts = ["Optimisation failed"]
    if beaten:
        best = min(beaten, key=lambda m: m.baseline_loss)
        parts.append(
            f": a {best.name} reached training loss {best.baseline_loss:.3g} (error"
            f" {fmt.error(best.baseline_error, ev.task)}) where your model stayed at {best.model_loss:.3g}"
            f" (error {fmt.error(best.model_error, ev.task)}) — the training error is a failure to optimise,"
            " not a lack of capacity"
        )
    if warned:
        parts.append(("; " if beaten else ": ") + "; ".join(o.summary for o in warned[:3]))
    return "".join(parts) + "."


def _comparison(m: EasierModelResult) -> dict:
    return {
        "name": m.name,
        "kind": m.kind,
        "model_loss": m.model_loss,
        "baseline_loss": m.baseline_loss,
        "model_error": m.model_error,
        "baseline_error": m.baseline_error,
        "loss_difference": m.difference.value,
        "loss_difference_interval": list(m.difference.interval),
        "fits_better": _fits_better(m),
        "examples": m.n,
        "curve": list(m.curve),
    }


def _probe_evidence(outcomes: list[ProbeOutcome]) -> list[dict]:
    return [{"probe": o.probe, "summary": o.summary, **o.numbers} for o in outcomes]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def undecided(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """Gaps big enough to matter whose intervals still include zero: the data cannot tell."""
    found = []
    for gap in gaps.values():
        if not gap.material or gap.significant:
            continue
        upper, lower = ends(ev, gap)
        need = extra_examples_needed(gap.estimate, upper, lower, gap.widen)
        extra = {(gap.upper, gap.lower)[i]: n for i, n in need.items()}
        extra = {("train" if k == "bayes" else k): n for k, n in extra.items()}
        summary = (
            f"Cannot tell yet: the {gap.name.replace('_', ' ')} gap of"
            f" {fmt.gap(gap.estimate.value, ev.task)} has a {fmt.confidence(policy.confidence)}"
            f" interval of {fmt.interval(gap.estimate, ev.task, signed=True)}, which includes zero."
        )
        evidence = {
            "rule": "material point estimate but the interval includes 0",
            "gap": gap.name,
            "value": gap.estimate.value,
            "interval": list(gap.estimate.interval),
            "sizes": {gap.upper: upper.n, gap.lower: lower.n},
            "more_examples_needed": extra,
        }
        found.append(Finding("inconclusive", "info", summary, evidence, advice.settle(gap, extra, ev.task)))
    return found
