"""Checks: each reads the evidence and returns findings, or none."""

from __future__ import annotations

import math
from dataclasses import asdict, replace

from dldoctor import fmt
from dldoctor.diagnosis import advice
from dldoctor.diagnosis.evidence import (
    Duplicates,
    EasierModelResult,
    Evidence,
    Finding,
    Gap,
    ModelCheck,
    Policy,
    TrainingSignals,
)
from dldoctor.diagnosis.gaps import SPEC, decompose, ends, threshold
from dldoctor.diagnosis.probes import ProbeOutcome
from dldoctor.divergence import EXPLOSION
from dldoctor.stats import Estimate, difference, extra_examples_needed, wilson

NO_RECOVERY = 0.9  # ... when the final loss is still at least this share of the initial loss
WORSE_THAN_START = 1.5  # final loss over initial loss that counts as diverged on its own
EASIER_MARGIN = 0.10  # the easier model's training loss must be this much lower, relatively
SPECIFICITY = ("gradients", "activations", "hessian", "sanity", "curve")
# Probe readings that name a set-up fault (besides the `setup.*` readings of how the recipe trains):
# units saturated through training come from the initialisation or input scale, not from the function
# class. A bad start alone (sanity.initial_loss) is not one: training may well leave it behind.
# A training error no better than a blind guess is one too: no function class lacks a constant output
# (the probe stays silent where a representable convex fit cannot beat a guess either).
SETUP_READINGS = ("activations.saturation", "sanity.worse_than_chance")

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


COMPONENTS = ("avoidable_bias", "recoverable_variance", "data_mismatch")  # dev − Bayes, split up
CARRIES = 0.5  # a significant component carrying this share of an established total names its source
RANK = ("data_leakage", "optimization_failure")  # these outrank every gap, in this order
GIVEN = "exact"  # the interval method of a Bayes error the user gave (bayes.given)
HELD_OUT = ("train_dev", "dev")
CHANCE_SPLIT = "train_dev"  # searched for duplicates of train only to show the rate chance gives


def attribute(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> tuple[list[Finding], list[Finding]]:
    """(problems, cannot-tells): the total excess first, then the components it splits into.

    A problem, or a cannot-tell, needs an established total (its interval excludes zero, and it is
    material): a total consistent with zero is no evidence of anything to gain, however its point
    estimate or one component's noise falls, and calling it anything but healthy would raise an
    alarm on healthy data more often than 1 − confidence (the healthy verdict then says how wide the
    interval is and which split to grow). An established total → the components that are
    significant and material; failing those, a significant one carrying most of it; failing that,
    cannot tell which — once even the total's low end is material: below that, small splits' noise
    could carry the whole excess, and no component says otherwise, so it reads healthy with that
    caveat. Without a Bayes estimate there is no total: only established components count.
    """
    parts = [gaps[name] for name in COMPONENTS if name in gaps]
    unit = threshold(ev, policy)
    total = gaps.get("total_excess")
    flagged = [_gap_finding(ev, g, policy, unit) for g in parts if _established(ev, g, policy)]
    if total is None:  # no Bayes estimate: the components are all there is
        return flagged, []
    if not (total.material and total.significant):
        return [], []
    if flagged:
        return flagged, []
    carrying = [g for g in parts if g.significant and g.estimate.value >= CARRIES * total.estimate.value]
    if carrying:
        return [_gap_finding(ev, max(carrying, key=lambda g: g.estimate.value), policy, unit)], []
    if total.estimate.low < unit:  # nothing to attribute, and the excess may well be immaterial
        return [], []
    open_parts = [g for g in parts if not g.significant and g.estimate.value > 0]
    largest = max(open_parts, key=lambda g: g.estimate.value, default=None)
    return [], undecided(ev, [largest] if largest else [total], policy)


def _established(ev: Evidence, gap: Gap, policy: Policy) -> bool:
    """Significant and material; a material mismatch gap also counts when the two-sample test rejects."""
    return gap.material and (gap.significant or (gap.name == "data_mismatch" and _rejected(ev, policy)))


def _rejected(ev: Evidence, policy: Policy) -> bool:
    return ev.mismatch is not None and ev.mismatch.p_value < 1 - policy.confidence


def reversed_mismatch(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """Dev clearly *easier* than train-dev: a mismatch the total cannot show, since it lowers dev error,
    unless the test set or the training error explains the easier dev otherwise (see `easier_dev`)."""
    gap, unit = gaps.get("data_mismatch"), threshold(ev, policy)
    if gap is None or easier_dev(ev, gaps, policy) != "distribution":
        return []
    summary = _stated(
        ev,
        gap,
        policy,
        "Data mismatch, dev easier",
        "dev is not drawn from the training distribution: it is easier than held-out training data",
    )
    evidence = _gap_evidence(ev, gap, policy, unit) | {
        "rule": (
            f"data_mismatch = dev − train_dev; flagged in either direction when it is at least"
            f" {fmt.gap(unit, ev.task).lstrip('+')} in size and its interval excludes 0, or the two-sample"
            f" test rejects at {fmt.confidence(1 - policy.confidence)} and its interval before the joint"
            " widening does"
        ),
        "direction": "dev easier",
        "mismatch_test": asdict(ev.mismatch) if ev.mismatch else None,
    }
    size = severity(-gap.estimate.value, unit)
    return [Finding("data_mismatch", size, summary, evidence, advice.easier_dev(ev))]


def easier_dev(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> str | None:
    """Why dev is clearly easier than train-dev, when it is: None when it is not.

    Clearly easier: at least the materiality threshold, and below zero by its interval, or by the
    two-sample test with the gap's own interval. "sample": a test set (drawn like dev) is not easier
    than train-dev, and is materially harder than dev — the dev sample, not its distribution, is
    easy: it was chosen or tuned on until it scored well.
    "seen": dev scores between the training error and train-dev's, as a mix of memorised and new
    examples would, and below the Bayes error no unseen example can beat — leakage the duplicate
    search missed (the same subjects or sources on both sides). "distribution": neither; dev comes
    from an easier distribution.
    """
    gap, unit = gaps.get("data_mismatch"), threshold(ev, policy)
    if gap is None or -gap.estimate.value < unit or not (gap.below or _corroborated_below(ev, gap, policy)):
        return None
    if _lucky_sample(ev, gaps, unit):
        return "sample"
    return "seen" if _scores_like_train(ev, gaps, policy) else "distribution"


def _corroborated_below(ev: Evidence, gap: Gap, policy: Policy) -> bool:
    """The two-sample test rejects and the gap, on its own (not widened for the other gaps), is below 0:
    inputs that differ do not make dev easier unless its error says so too — on a small dev set a few
    lucky examples move the point estimate by more than the materiality threshold."""
    return _rejected(ev, policy) and difference(*ends(ev, gap)).high < 0


def _lucky_sample(ev: Evidence, gaps: dict[str, Gap], unit: float) -> bool:
    test, gap = ev.errors.get("test"), gaps.get("dev_overfit")
    if test is None or gap is None or gap.estimate.value < unit:
        return False
    return difference(test, ev.errors["train_dev"], gap.widen).high >= 0


def _scores_like_train(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> bool:
    """Dev scores like partly-seen data: the model is far better on train than on train-dev, dev is not
    easier than train itself, and either dev beats the Bayes error no unseen example can beat, or dev's
    inputs lie nearer the training set than train-dev's do (it shares items or sources with train)."""
    variance = gaps.get("variance")
    if variance is None or not (variance.significant and variance.material):
        return False
    dev, widen = ev.errors["dev"], variance.widen
    if difference(dev, ev.errors["train"], widen).high < 0:  # easier than the training data itself
        return False
    return ev.bayes is None or difference(dev, ev.bayes, widen).high < 0 or _nearer_train(ev, policy)


def _nearer_train(ev: Evidence, policy: Policy) -> bool:
    """Clearly more than half of dev's rows lie nearer train than train-dev's median row does: drawn
    like train-dev, dev would have half (a sign test, its Wilson interval above one half)."""
    found = next((d for d in ev.leakage if d.query == "dev" and d.nearer is not None), None)
    if found is None or not found.nearer_of:
        return False
    assert found.nearer is not None
    return wilson(found.nearer, found.nearer_of, policy.confidence).low > 0.5


def dev_overfit(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """Test − dev lies outside dev − Bayes, so it is judged on its own; or dev is easier than both
    train-dev and a test set drawn like it, so the dev sample itself was selected."""
    gap, unit = gaps.get("dev_overfit"), threshold(ev, policy)
    if gap is None:
        return []
    if gap.significant and gap.material:
        return [_gap_finding(ev, gap, policy, unit)]
    if easier_dev(ev, gaps, policy) != "sample":
        return []
    found = _gap_finding(ev, gap, policy, unit)
    summary = (
        f"{found.summary[:-1]}; dev is also easier than train-dev"
        f" ({fmt.error(ev.errors['train_dev'].value, ev.task)}), while test, drawn like dev, is not: the"
        " dev sample itself is easy, chosen or tuned on until it scored well."
    )
    rule = (
        f"{found.evidence['rule']}; or dev clearly easier than train-dev (as for a reversed data mismatch)"
        " while test is not (its interval against train-dev reaches 0) and test − dev is material"
    )
    return [replace(found, summary=summary, evidence={**found.evidence, "rule": rule})]


def hidden_leakage(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """Leakage the duplicate search cannot see, read from errors that unseen data cannot reach."""
    return [*_below_given_bayes(ev, gaps, policy), *_dev_seen(ev, gaps, policy)]


def _below_given_bayes(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    """Every held-out error clearly below the Bayes error the user gave: no model reaches that on unseen
    data, unless an input carries the answer (or the given value is wrong)."""
    unit, widen = threshold(ev, policy), next(iter(gaps.values())).widen if gaps else 1.0
    if ev.bayes is None or ev.bayes.method != GIVEN:
        return []
    held = {s: difference(ev.bayes, ev.errors[s], widen) for s in HELD_OUT if s in ev.errors}
    if not held or not all(d.low > 0 and d.value >= unit for d in held.values()):
        return []
    errors = " and ".join(f"{fmt.split(s)} error {fmt.error(ev.errors[s].value, ev.task)}" for s in held)
    summary = (
        f"Data leakage (or a wrong Bayes error): {errors} are far below the Bayes error you gave,"
        f" {fmt.error(ev.bayes.value, ev.task)} — no model reaches that on examples it has not seen,"
        " unless an input carries the answer."
    )
    evidence = {
        "rule": (
            "every held-out error (train-dev, dev) below the given Bayes error, each difference's interval"
            f" above 0 and at least {fmt.gap(unit, ev.task).lstrip('+')}"
        ),
        "bayes": ev.bayes.value,
        **{f"{s}_below_bayes": [d.value, d.low, d.high] for s, d in held.items()},
    }
    size = severity(min(d.value for d in held.values()), unit)
    return [Finding("data_leakage", size, summary, evidence, advice.target_leakage())]


def _dev_seen(ev: Evidence, gaps: dict[str, Gap], policy: Policy) -> list[Finding]:
    if easier_dev(ev, gaps, policy) != "seen":
        return []
    train, train_dev, dev = (ev.errors[s].value for s in ("train", "train_dev", "dev"))
    share = (train_dev - dev) / max(train_dev - train, 1e-12)
    bayes = "" if ev.bayes is None else f", and below the Bayes error {fmt.error(ev.bayes.value, ev.task)}"
    if ev.bayes is not None and dev >= ev.bayes.value:
        bayes = ", and its inputs lie nearer the training set than train-dev's do"
    summary = (
        f"Data leakage: dev error {fmt.error(dev, ev.task)} sits between train {fmt.error(train, ev.task)}"
        f" and train-dev {fmt.error(train_dev, ev.task)}{bayes} — dev scores as if about {100 * share:.0f}%"
        " of it had been trained on: the same subjects or sources on both sides of the split, too far"
        " apart for the duplicate search."
    )
    evidence = {
        "rule": (
            "dev clearly easier than train-dev (as for a reversed data mismatch), the model far better on"
            " train than on train-dev (variance significant and material), dev not below train and, where"
            " estimated, below the Bayes error or nearer train than train-dev (more than half its rows nearer"
            " than train-dev's median row, Wilson interval above one half)"
        ),
        "train": train,
        "train_dev": train_dev,
        "dev": dev,
        "seen_share": share,
    }
    size = severity(train_dev - dev, threshold(ev, policy))
    return [Finding("data_leakage", size, summary, evidence, advice.grouped_leakage())]


def leakage(ev: Evidence, policy: Policy) -> list[Finding]:
    """Dev or test inputs that also sit in train, more often than train-dev's do by chance: the error
    on them is a training error, too low."""
    chance = next((d for d in ev.leakage if d.query == CHANCE_SPLIT), None)
    searched = [d for d in ev.leakage if d.query != CHANCE_SPLIT]
    return [_leak(ev, d, policy, chance) for d in searched if _beyond_chance(d, chance, policy)]


def _beyond_chance(d: Duplicates, chance: Duplicates | None, policy: Policy) -> bool:
    """A material share of duplicates and, where train-dev was searched, significantly more than its share."""
    if not (d.exact + d.near and d.share >= policy.min_gap):
        return False
    excess = _excess_share(d, chance, policy)
    return excess is None or (excess.low > 0 and excess.value >= policy.min_gap)


def _excess_share(d: Duplicates, chance: Duplicates | None, policy: Policy) -> Estimate | None:
    """The split's duplicate share minus train-dev's, with its interval."""
    if chance is None or not chance.n_query:
        return None
    found = wilson(d.exact + d.near, d.n_query, policy.confidence)
    return difference(found, wilson(chance.exact + chance.near, chance.n_query, policy.confidence))


def _leak(ev: Evidence, d: Duplicates, policy: Policy, chance: Duplicates | None) -> Finding:
    found = d.exact + d.near
    by_chance = (
        f" (train-dev, from the training distribution, shows {100 * chance.share:.1f}% by chance)"
        if chance is not None
        else ""
    )
    summary = (
        f"Data leakage: {found:,} of {d.n_query:,} {fmt.split(d.query)} examples ({100 * d.share:.1f}%) also"
        f" sit in {d.reference} ({d.exact:,} exact, {d.near:,} near duplicates){by_chance} —"
        f" {fmt.split(d.query)} error"
        f" {fmt.error(ev.errors[d.query].value, ev.task) if d.query in ev.errors else 'n/a'} understates"
        " the error on new data, and every gap read from it is off."
    )
    excess = _excess_share(d, chance, policy)
    evidence = {
        "rule": (
            f"share of {d.query} inputs equal to a {d.reference} input, or within {d.radius:.3g} of one in"
            f" standardised input space (the typical nearest-neighbour distance within {d.reference} is"
            f" {d.typical:.3g}), at least {100 * policy.min_gap:g}% and, where train-dev was searched the"
            f" same way, above train-dev's share by at least as much (interval of the difference above 0)"
        ),
        **asdict(d),
        "pairs": [list(p) for p in d.pairs],
        "share": d.share,
        "chance_share": None if chance is None else chance.share,
        "excess_share_interval": None if excess is None else list(excess.interval),
    }
    severity_ = severity(d.share, policy.min_gap)
    return Finding("data_leakage", severity_, summary, evidence, advice.leakage(d))


def rank(ev: Evidence, problems: list[Finding]) -> list[Finding]:
    """Leakage, then a failed optimisation, then the largest gap first."""
    return sorted(
        problems,
        key=lambda f: (RANK.index(f.kind) if f.kind in RANK else len(RANK), -f.evidence.get("gap", 0.0)),
    )


def _stated(ev: Evidence, gap: Gap, policy: Policy, title: str, meaning: str) -> str:
    """'Title: upper error a vs lower b, a gap of g (CI …) — meaning.'"""
    upper, lower = ends(ev, gap)
    return (
        f"{title}: {fmt.split(gap.upper)} error {fmt.error(upper.value, ev.task)} vs {fmt.split(gap.lower)}"
        f" {fmt.error(lower.value, ev.task)}, a gap of {fmt.gap(gap.estimate.value, ev.task)}"
        f" ({fmt.confidence(policy.confidence)} CI {fmt.interval(gap.estimate, ev.task, signed=True)})"
        f" — {meaning}."
    )


def _gap_finding(ev: Evidence, gap: Gap, policy: Policy, unit: float) -> Finding:
    spec = SPEC[gap.name]
    summary = _stated(ev, gap, policy, _title(spec.kind), spec.meaning)
    return Finding(
        spec.kind,
        severity(gap.estimate.value, unit),
        summary,
        _gap_evidence(ev, gap, policy, unit),
        ADVICE[spec.kind](ev),
    )


def _title(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def _gap_evidence(ev: Evidence, gap: Gap, policy: Policy, unit: float) -> dict:
    upper, lower = ends(ev, gap)
    total = decompose_total(ev, policy) if gap.name in COMPONENTS else None
    return (
        _two_sample(ev, gap)
        | _total_evidence(ev, total)
        | {
            "rule": (
                f"{gap.name} = {gap.upper} − {gap.lower}; flagged when its interval excludes 0 and it is at"
                f" least {fmt.gap(unit, ev.task).lstrip('+')}; intervals hold jointly at"
                f" {fmt.confidence(policy.confidence)} over all gaps (each widened {gap.widen:.2f}×,"
                " Bonferroni)"
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
    )


def decompose_total(ev: Evidence, policy: Policy) -> Gap | None:
    return decompose(ev, policy).get("total_excess")


def _total_evidence(ev: Evidence, total: Gap | None) -> dict:
    """A component is read only once the total it is part of is established; quote that total."""
    if total is None:
        return {}
    return {"total_excess": total.estimate.value, "total_excess_interval": list(total.estimate.interval)}


def _two_sample(ev: Evidence, gap: Gap) -> dict:
    """The train-dev vs dev two-sample test corroborates (or not) a data-mismatch gap."""
    if gap.name != "data_mismatch" or ev.mismatch is None:
        return {}
    return {"mismatch_test": asdict(ev.mismatch)}


def optimisation(ev: Evidence, findings: list[Finding], outcomes: list[ProbeOutcome]) -> list[Finding]:
    """Read high bias as a capacity fault, an optimisation failure, or plain high bias.

    High bias means the model's function class (its capacity, or its regularisation) cannot fit;
    an optimisation failure means it could, but the set-up stops the optimiser finding the fit.
    The deciding evidence is a model the user's network can represent (a shallower version of it
    with the same regularisation, or the linear fit when the network is linear) reaching a clearly
    lower training loss. Failing that, a set-up reading that names the mechanism (a loss that does
    not fit the task, a softmax fed to cross-entropy, sorted data unshuffled, saturated units, an
    overconfident start, a schedule or clipping that starves the steps) explains the training error,
    unless a static capacity fault of the model explains it instead: that keeps it high bias with
    its own remedy. Other strong probes decide only when no representable model could be run, and
    no other easier model failed to fit better either. A loss still falling at the end with nothing
    that explains why is unfinished training, not a failure: high bias, "train longer" first —
    unless a representable model was clearly ahead already after the run's own number of epochs.
    """
    bias = next((f for f in findings if f.kind == "high_bias"), None)
    if bias is None:
        return findings
    fair = [m for m in ev.easier_models if m.decisive]
    beaten = [m for m in fair if _fits_better(m)]
    warned = sorted((o for o in outcomes if o.status == "warn"), key=_specificity)
    strong = [o for o in warned if o.strong]
    capacity = [c for c in ev.model_checks if c.capacity]
    faults = [] if capacity else _setup_faults(ev, warned)
    # a better fit after longer training is no failure, unless a reading names a broken mechanism or
    # the easier model was ahead already after as many epochs as the run had
    unfinished = advice.still_falling(ev) is not None and not strong
    beaten = [m for m in beaten if not unfinished or _ahead_within_budget(ev, m)]
    if faults:
        found = _recast(ev, bias, beaten, faults, setup=True)
    elif beaten or (not unfinished and strong and not fair and not capacity and _better_fit_possible(ev)):
        found = _recast(ev, bias, beaten, warned or strong, setup=False)
    elif capacity:
        found = _capacity(ev, bias, capacity, warned)
    else:
        found = replace(bias, evidence={**bias.evidence, **_comparisons(ev, warned)})
    return [_unfinished(ev, found) if f is bias else f for f in findings]


def _ahead_within_budget(ev: Evidence, m: EasierModelResult) -> bool:
    """The easier model's running training loss after the run's own number of epochs is clearly below the
    run's: the same budget fits better, so training longer is not what the run lacks, its set-up is."""
    epochs, losses = len(ev.training.epoch_losses), ev.training.epoch_losses
    if not epochs or len(m.curve) < epochs:
        return False
    return m.curve[epochs - 1] <= (1 - EASIER_MARGIN) * losses[-1]


def _setup_faults(ev: Evidence, warned: list[ProbeOutcome]) -> list[ProbeOutcome]:
    """The set-up readings that explain a poor fit by how the model is trained, first among the warnings.

    A wiring check of the model (a softmax fed to cross-entropy) counts as one, read as a probe.
    """
    wiring = [
        ProbeOutcome(f"model.{c.check}", "warn", c.summary, c.numbers, c.remedy, strong=True)
        for c in ev.model_checks
        if c.setup
    ]
    readings = [o for o in warned if o.probe.split(".")[0] == "setup"]
    readings += [o for o in warned if o.probe in SETUP_READINGS]
    if not wiring and not readings:
        return []
    return [*wiring, *readings, *(o for o in warned if o not in readings)]


def _better_fit_possible(ev: Evidence) -> bool:
    """No easier model ran, or one (not representable by the network) fits better: a strong probe
    may then explain the training error; when even those cannot fit better, nothing says it could."""
    return not ev.easier_models or any(_fits_better(m) for m in ev.easier_models)


def _recast(
    ev: Evidence, bias: Finding, beaten: list[EasierModelResult], warned: list[ProbeOutcome], setup: bool
) -> Finding:
    return Finding(
        "optimization_failure",
        bias.severity,
        _failure_summary(ev, beaten, warned),
        {
            "rule": _recast_rule(beaten, setup),
            "probes": [],
            **_comparisons(ev, warned, "probes"),
            "model_checks": [asdict(c) for c in ev.model_checks],
            "avoidable_bias": bias.evidence,
        },
        _unique([*(o.remedy for o in warned if o.remedy), *advice.failed_optimisation(ev)]),
    )


def _recast_rule(beaten: list[EasierModelResult], setup: bool) -> str:
    if beaten:
        return (
            "high training error, and a model your network can represent fits the training set better"
            f" (paired interval excludes 0, at least {100 * EASIER_MARGIN:g}% lower)"
        )
    if setup:
        return (
            "high training error, no static capacity fault of the model, and a reading of the set-up names"
            " what stops the optimiser"
        )
    return "high training error, no model your network can represent could run, and a strong probe fired"


def _capacity(ev: Evidence, bias: Finding, capacity: list[ModelCheck], warned: list[ProbeOutcome]) -> Finding:
    """High bias the model's own structure explains: name the fault and its fix first."""
    summary = f"{bias.summary[:-1]}; the model itself limits the fit: {capacity[0].summary}."
    evidence = {
        **bias.evidence,
        "rule": bias.evidence["rule"] + "; a static check of the model names a capacity fault",
        "model_checks": [asdict(c) for c in ev.model_checks],
        **_comparisons(ev, warned),
    }
    remedies = _unique([c.remedy for c in capacity] + bias.advice)
    return replace(bias, summary=summary, evidence=evidence, advice=remedies)


def _unfinished(ev: Evidence, found: Finding) -> Finding:
    """A loss still falling when training stopped: training longer comes before any other cure of
    high bias (a failure's cure is its fault's fix: the loss falls slowly *because* of it)."""
    tip = advice.still_falling(ev)
    if tip is None or found.kind != "high_bias":
        return found
    summary = f"{found.summary} The training loss was still falling at the end: train longer first."
    return replace(found, summary=summary, advice=_unique([tip, *found.advice]))


def _comparisons(ev: Evidence, warned: list[ProbeOutcome], key: str = "optimisation_warnings") -> dict:
    """The easier models and the probes that warned, under `key` (the deciding "probes", or a note)."""
    found: dict = {"easier_models": [_comparison(m) for m in ev.easier_models]}
    return found | ({key: _probe_evidence(warned)} if warned else {})


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
        "decisive": m.decisive,
        "qualifies": m.qualifies,
        "examples": m.n,
        "curve": list(m.curve),
    }


def _probe_evidence(outcomes: list[ProbeOutcome]) -> list[dict]:
    return [{"probe": o.probe, "summary": o.summary, **o.numbers} for o in outcomes]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def undecided(ev: Evidence, gaps: list[Gap], policy: Policy) -> list[Finding]:
    """Components of an established total whose intervals still include zero: name the split to grow."""
    found = []
    for gap in sorted(gaps, key=lambda g: -g.estimate.value):
        upper, lower = ends(ev, gap)
        extra = more_examples_needed(ev, gap)
        summary = (
            f"Cannot tell yet: the {gap.name.replace('_', ' ')} of"
            f" {fmt.gap(gap.estimate.value, ev.task)} has a {fmt.confidence(policy.confidence)}"
            f" interval of {fmt.interval(gap.estimate, ev.task, signed=True)}, which includes zero."
        )
        evidence = {
            "rule": "the total excess dev − Bayes is established but no component of it is: this"
            " component's interval includes 0",
            "gap": gap.name,
            "value": gap.estimate.value,
            "interval": list(gap.estimate.interval),
            "sizes": {gap.upper: upper.n, gap.lower: lower.n},
            "more_examples_needed": extra,
        }
        found.append(Finding("inconclusive", "info", summary, evidence, advice.settle(gap, extra, ev.task)))
    return found


def more_examples_needed(ev: Evidence, gap: Gap) -> dict[str, int]:
    """Split → about how many more examples would make this gap's interval clear zero (train for Bayes)."""
    upper, lower = ends(ev, gap)
    need = extra_examples_needed(gap.estimate, upper, lower, gap.widen)
    extra = {(gap.upper, gap.lower)[i]: n for i, n in need.items()}
    return {("train" if k == "bayes" else k): n for k, n in extra.items()}
