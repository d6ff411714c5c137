"""Bayes (irreducible) error: taken from the user, or estimated by a family of estimators.

Every estimator returns a Candidate with a bootstrap interval; `choose` applies the documented
rule (RULE) that picks the one the diagnosis uses. The others stay in the report, so a reader can
see how far they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from torch import nn

from dldoctor import task as tasks
from dldoctor.bayes import choice, classification, multilabel, regression, representations
from dldoctor.bayes.candidates import Candidate, reliable_dimension
from dldoctor.data import Data
from dldoctor.diagnosis.evidence import Bracket
from dldoctor.stats import Estimate
from dldoctor.training import finite_weights

RULE = (
    "soft labels when given (unbiased); else, of the main family — k-NN error for classification, the"
    " Gamma test for regression — over the representations where neighbours are reliable"
    " (d ≤ 2·log2 n), the one with the lowest upper confidence bound, chosen by cross-fitting: the"
    " examples are split in two halves (the same halves in every representation), the choice made on"
    " one half is read on the other and vice versa, over 16 random halvings; the estimate is the mean"
    " over examples of each one's readings."
    " Each estimator over-estimates the Bayes error in expectation (a representation can only lose"
    " information, finite-sample neighbours only add error), so the lowest is the tightest; but the"
    " lowest of several noisy readings is biased down, and reading the choice on examples that did not"
    " make it removes that bias. Ranking by the bound rather than the point keeps an estimate on few"
    " examples from winning by a lucky draw. The value is then capped at the lowest upper bound of a"
    " held-out error of a model the run trained or fitted (no model beats the Bayes error; the bound,"
    " not the point, for the same reason)"
)
MAIN_FAMILY = {"classification": "knn", "regression": "gamma", "multilabel": "knn"}
FITTED_NAME = {
    ("linear", "classification"): "logistic regression",
    ("linear", "regression"): "linear least squares",
    ("kernel", "classification"): "RBF kernel ridge classifier",
    ("kernel", "regression"): "RBF kernel ridge regression",
}


@dataclass(frozen=True)
class BayesEstimate:
    """The Bayes error the diagnosis uses, where it came from, and every estimator's reading.

    `held_out`: held-out errors of models the run trained, by what they are: the bracket's upper end
    and the cap on the point estimate.
    """

    estimate: Estimate | None  # None when unavailable
    source: str  # "given", "estimated" or "unavailable"
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None
    candidates: tuple[Candidate, ...] = ()
    chosen: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # representation -> why it was not used
    held_out: dict[str, Estimate] = field(default_factory=dict)
    bracket: Bracket | None = None


def given(value: float, estimated: BayesEstimate | None = None) -> BayesEstimate:
    """The user's value; `estimated`: what the estimators say, kept only to be shown beside it."""
    exact = Estimate(value, value, value, None, "exact")
    if estimated is None:
        return BayesEstimate(exact, "given", "given by the user")
    return replace(
        estimated,
        estimate=exact,
        source="given",
        method="given in the recipe (bayes_error); the estimators below are shown for comparison only",
        warning=None,
    )


def estimate(
    data: Data,
    task: str,
    num_classes: int | None,
    cap: Estimate,
    confidence: float = 0.95,
    seed: int = 0,
    model: nn.Module | None = None,
) -> BayesEstimate:
    """Run every estimator that applies, choose one by RULE, cap it by `cap` (the model's train-dev
    error) and by the other held-out errors the estimators measured on the way.
    """
    candidates, skipped, held_out = run_estimators(data, task, num_classes, confidence, seed, model)
    return from_candidates(candidates, skipped, task, cap, held_out, confidence)


def on_views(
    views: list[representations.Representation],
    skipped: dict[str, str],
    task: str,
    num_classes: int | None,
    cap: Estimate,
    confidence: float = 0.95,
    seed: int = 0,
) -> BayesEstimate:
    """Every estimator on representations already built (saved outputs, embeddings, inputs), chosen
    and capped as `estimate` does."""
    candidates, held_out = candidates_on(views, task, num_classes, confidence, seed, skipped)
    return from_candidates(candidates, skipped, task, cap, held_out, confidence)


def from_candidates(
    candidates: list[Candidate],
    skipped: dict[str, str],
    task: str,
    cap: Estimate,
    held_out: dict[str, Estimate] | None = None,
    confidence: float = 0.95,
) -> BayesEstimate:
    """Choose one candidate by RULE and cap it by the held-out errors (`cap`, the model's train-dev
    error, among them); unavailable when there is no candidate."""
    if not candidates:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        return BayesEstimate(
            None,
            "unavailable",
            f"no estimate ({reasons}); set bayes_error in the recipe or pass --bayes-error",
            skipped=skipped,
        )
    chosen = choose(candidates, task, confidence)
    if chosen not in candidates:
        candidates = [*candidates, chosen]
    details: dict[str, Any] = {
        "chosen": chosen.name,
        "rule": RULE,
        "estimators": {c.name: c.as_dict() for c in candidates},
        "skipped": skipped,
    }
    found = BayesEstimate(
        None,
        "estimated",
        describe(chosen),
        details,
        caution(chosen, candidates),
        tuple(candidates),
        chosen.name,
        skipped,
    )
    errors = dict(held_out or {})
    if math.isfinite(cap.value):
        errors = {"the model's train-dev error": cap, **errors}
    return with_held_out(found, errors, task)


def with_held_out(found: BayesEstimate, held_out: dict[str, Estimate], task: str) -> BayesEstimate:
    """`found` with more held-out errors: the point re-capped at the lowest, the bracket redrawn.

    Called again after cross-validation, whose held-out error comes after the estimate.
    """
    if found.source != "estimated" or found.chosen is None:
        return found
    every = {**found.held_out, **{k: v for k, v in held_out.items() if math.isfinite(v.value)}}
    chosen = next(c for c in found.candidates if c.name == found.chosen)
    raw = clip(Estimate(chosen.value, chosen.low, chosen.high, chosen.n, "bootstrap"), task)
    lowest = min(every, key=lambda k: every[k].high) if every else None
    point = _cap(raw, every[lowest]) if lowest is not None else raw
    method = describe(chosen)
    if lowest is not None and point.value < raw.value:
        method += (
            f"; capped at the upper bound of {lowest} ({every[lowest].high:.4g}):"
            " no model beats the Bayes error"
        )
    bracket = _bracket(chosen, found.candidates, point, lowest, every)
    details = {**found.details, "held_out": {k: [v.value, v.low, v.high] for k, v in every.items()}}
    return replace(found, estimate=point, method=method, details=details, held_out=every, bracket=bracket)


def run_estimators(
    data: Data,
    task: str,
    num_classes: int | None,
    confidence: float,
    seed: int = 0,
    model: nn.Module | None = None,
) -> tuple[list[Candidate], dict[str, str], dict[str, Estimate]]:
    """Every estimator on every representation that can be built; why the others could not be; and
    the held-out errors of the models fitted on the way (the cross-fitted linear model's)."""
    skipped: dict[str, str] = {}
    classes = num_classes or (int(data.train.sample(1 << 20, seed)[1].max()) + 1)
    views = _representations(data, task, classes, seed, model, skipped)
    found: list[Candidate] = []
    if data.soft_labels is not None and task == "classification":
        found.append(_clipped(classification.soft_labels(data.soft_labels, confidence), task))
    more, held_out = candidates_on(views, task, classes, confidence, seed, skipped)
    return found + more, skipped, held_out


def candidates_on(
    views: list[representations.Representation],
    task: str,
    num_classes: int | None,
    confidence: float,
    seed: int,
    skipped: dict[str, str],
) -> tuple[list[Candidate], dict[str, Estimate]]:
    """The neighbour (and, on outputs, plug-in) estimators on each representation, and the held-out
    errors of models fitted to build one; `skipped` gets why a representation was not used."""
    found: list[Candidate] = []
    held_out: dict[str, Estimate] = {}
    for view in views:
        if view.held_out_errors is not None:
            errors = view.held_out_errors.double().cpu().numpy()
            name = FITTED_NAME.get((view.name, task), tasks.get(task).linear_name)
            held_out[f"the cross-fitted {name}'s held-out error"] = tasks.get(task).error_estimate(
                errors, confidence
            )
        if len(view.y) < 3:
            skipped[view.name] = f"only {len(view.y)} examples"
        else:
            found.extend(_on_view(view, task, num_classes, confidence, seed))
    return [_clipped(c, task) for c in found], held_out


def _on_view(
    view: representations.Representation, task: str, num_classes: int | None, confidence: float, seed: int
) -> list[Candidate]:
    """The estimators for `task` on one representation, their readings keyed by its example ids."""
    found: list[Candidate] = []
    if task == "classification":
        classes = num_classes or int(view.y.max()) + 1
        found.extend(classification.knn(view.features, view.y, classes, view.name, confidence))
        if view.name == "outputs":
            found.append(classification.plug_in(view.features, view.y, confidence))
    elif task == "multilabel":
        found.extend(multilabel.knn(view.features, view.y, view.name, confidence))
    else:
        found.extend(regression.noise_variance(view.features, view.y, view.name, confidence, seed))
    return [replace(c, ids=view.ids) if c.readings is not None else c for c in found]


def choose(candidates: list[Candidate], task: str, confidence: float = 0.95) -> Candidate:
    """The candidate RULE picks (see the module's RULE): one of `candidates`, or, when halves choose
    differently, a new candidate of each example's readings by the other halves' choices.

    Candidates without per-example readings (built by hand) are ranked on their whole intervals.
    """
    soft = [c for c in candidates if c.representation == "soft labels"]
    if soft:
        return soft[0]
    family = [c for c in candidates if c.name.startswith(MAIN_FAMILY[task] + ".")]
    trusted = [c for c in family if c.reliable] or family
    if len(trusted) == 1 or any(c.readings is None or c.ids is None for c in trusted):
        return min(trusted, key=lambda c: (c.high, c.value))
    return choice.cross_fitted(trusted, confidence)


def describe(c: Candidate) -> str:
    what = {
        "knn": "leave-one-out k-NN error",
        "gamma": "Gamma-test noise variance",
        "nn_difference": "nearest-neighbour-difference noise variance",
        "cover_hart": "Cover–Hart lower bound",
        "plugin": "calibrated plug-in (heuristic)",
        "soft_labels": "soft-label estimate",
    }[c.name.split(".")[0]]
    places = {
        "inputs": "standardised inputs",
        "linear": f"a linear model's outputs cross-fitted over {representations.FOLDS} folds",
        "kernel": f"an RBF kernel ridge model's outputs cross-fitted over {representations.FOLDS} folds",
        "embedding": "the model's penultimate-layer embedding of train-dev",
        "outputs": "the model's outputs on train-dev",
        "soft labels": "the recipe's soft labels",
    }
    where = " and ".join(places[r] for r in c.representation.split("+"))
    extra = f", {c.note}" if c.note else ""
    return f"{what} on {where} (n={c.n}, d={c.dimension}{extra})"


def _representations(
    data: Data,
    task: str,
    classes: int,
    seed: int,
    model: nn.Module | None,
    skipped: dict[str, str],
) -> list[representations.Representation]:
    outputs = classes if task == "classification" else data.train.sample(1, seed)[1].reshape(1, -1).shape[1]
    made: list[representations.Representation | str] = [
        representations.inputs(data, seed),
        representations.linear(data, task, outputs, seed),
        representations.kernel_ridge(data, task, outputs, seed),
    ]
    names = ["inputs", "linear", "kernel"]
    if model is None:
        skipped["embedding"] = skipped["outputs"] = "no trained model given"
    elif not finite_weights(model):
        skipped["embedding"] = skipped["outputs"] = "the model's weights are not finite"
    else:
        views = representations.model_views(model, data, task, seed)
        made += views
        names += [v.name for v in views]
    found = []
    for name, view in zip(names, made, strict=True):
        if isinstance(view, str):
            skipped[name] = view
        else:
            found.append(view)
    return found


def caution(chosen: Candidate, candidates: list[Candidate]) -> str | None:
    """Why the chosen estimate may mislead: too many dimensions, or noise estimators that disagree."""
    notes = []
    if not chosen.reliable:
        notes.append(
            f"the chosen estimate ran on {chosen.dimension} dimensions with only {chosen.n} examples"
            f" (reliable up to d ≈ {reliable_dimension(chosen.n):.0f}): it likely runs high;"
            " set bayes_error if you know the human-level error"
        )
    twin = next((c for c in candidates if c.name == f"nn_difference.{chosen.representation}"), None)
    if (
        chosen.name.startswith("gamma.")
        and twin is not None
        and (twin.low > chosen.high or twin.high < chosen.low)
    ):
        notes.append(
            f"the nearest-neighbour-difference estimate ({twin.value:.4g}) and the Gamma test"
            f" ({chosen.value:.4g}) disagree beyond their intervals: the target changes a lot between"
            " neighbours, so both are rough"
        )
    return "; ".join(notes) or None


def _cap(raw: Estimate, cap: Estimate) -> Estimate:
    """No classifier beats the Bayes error, so a held-out error's upper bound bounds it from above.

    The bound, not the point: capping at a noisy point would pull the estimate down whenever the
    held-out error drew low — the same selection bias the choice rule avoids.
    """
    value = min(raw.value, cap.high)
    return Estimate(value, min(raw.low, value), max(value, min(raw.high, cap.high)), raw.n, raw.method)


def _bracket(
    chosen: Candidate,
    candidates: tuple[Candidate, ...],
    point: Estimate,
    lowest: str | None,
    held_out: dict[str, Estimate],
) -> Bracket:
    """[lower, upper] around the point: see Bracket."""
    places = chosen.representation.split("+")
    bounds = [c for c in candidates if c.name in {f"cover_hart.{r}" for r in places}]
    if len(bounds) == len(places):
        bound = min(bounds, key=lambda c: c.value)
        lower, source = bound.value, f"Cover–Hart bound from the 1-NN error on the {bound.representation}"
    else:
        lower, source = point.low, "the estimate's interval low end (no lower bound is known here)"
    upper = held_out[lowest].high if lowest is not None else None
    return Bracket(min(lower, point.value), upper, source, lowest)


def clip(est: Estimate, task: str) -> Estimate:
    """An error rate lies in [0, 1], a mean squared error in [0, ∞): intervals say so."""
    top = 1.0 if tasks.get(task).rate else math.inf
    value, low, high = (min(top, max(0.0, v)) for v in (est.value, est.low, est.high))
    return replace(est, value=value, low=low, high=high)


def _clipped(c: Candidate, task: str) -> Candidate:
    bounded = clip(Estimate(c.value, c.low, c.high), task)
    return replace(c, value=bounded.value, low=bounded.low, high=bounded.high)
