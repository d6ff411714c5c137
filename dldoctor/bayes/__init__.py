"""Bayes (irreducible) error: taken from the user, or estimated by a family of estimators.

Every estimator returns a Candidate with a bootstrap interval; `choose` applies the documented
rule (RULE) that picks the one the diagnosis uses. The others stay in the report, so a reader can
see how far they agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from dldoctor.bayes import classification, regression, representations
from dldoctor.bayes.candidates import Candidate, reliable_dimension
from dldoctor.data import Data
from dldoctor.stats import Estimate

RULE = (
    "soft labels when given (unbiased); else the lowest point estimate of the main family — k-NN error"
    " for classification, the Gamma test for regression — over the representations where neighbours"
    " are reliable (d ≤ 2·log2 n): each over-estimates the Bayes error in expectation, since a"
    " representation can only lose information and finite-sample neighbours only add error, so the"
    " lowest is the tightest; then capped at the model's own train-dev error"
)
MAIN_FAMILY = {"classification": "knn", "regression": "gamma"}


@dataclass(frozen=True)
class BayesEstimate:
    """The Bayes error the diagnosis uses, where it came from, and every estimator's reading."""

    estimate: Estimate | None  # None when unavailable
    source: str  # "given", "estimated" or "unavailable"
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None
    candidates: tuple[Candidate, ...] = ()
    chosen: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # representation -> why it was not used


def given(value: float) -> BayesEstimate:
    return BayesEstimate(Estimate(value, value, value, None, "exact"), "given", "given by the user")


def estimate(
    data: Data,
    task: str,
    num_classes: int | None,
    cap: Estimate,
    confidence: float = 0.95,
    seed: int = 0,
    model: nn.Module | None = None,
    linear: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> BayesEstimate:
    """Run every estimator that applies, choose one by RULE, cap it by `cap` (a held-out error).

    `linear`: a linear model already fitted on the training inputs, reused for that representation.
    """
    candidates, skipped = run_estimators(data, task, num_classes, confidence, seed, model, linear)
    return from_candidates(candidates, skipped, task, cap)


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
    return from_candidates(
        candidates_on(views, task, num_classes, confidence, seed, skipped), skipped, task, cap
    )


def from_candidates(
    candidates: list[Candidate], skipped: dict[str, str], task: str, cap: Estimate
) -> BayesEstimate:
    """Choose one candidate by RULE and cap it by `cap` (a held-out error); unavailable when none."""
    if not candidates:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        return BayesEstimate(
            None,
            "unavailable",
            f"no estimate ({reasons}); set bayes_error in the recipe or pass --bayes-error",
            skipped=skipped,
        )
    chosen = choose(candidates, task)
    capped = _cap(Estimate(chosen.value, chosen.low, chosen.high, chosen.n, "bootstrap"), cap)
    method = describe(chosen)
    if capped.value < chosen.value:
        method += "; capped at the model's own train-dev error (no classifier beats Bayes)"
    details: dict[str, Any] = {
        "chosen": chosen.name,
        "rule": RULE,
        "estimators": {c.name: c.as_dict() for c in candidates},
        "skipped": skipped,
    }
    return BayesEstimate(
        capped,
        "estimated",
        method,
        details,
        caution(chosen, candidates),
        tuple(candidates),
        chosen.name,
        skipped,
    )


def run_estimators(
    data: Data,
    task: str,
    num_classes: int | None,
    confidence: float,
    seed: int = 0,
    model: nn.Module | None = None,
    linear: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[list[Candidate], dict[str, str]]:
    """Every estimator on every representation that can be built; and why the others could not."""
    skipped: dict[str, str] = {}
    classes = num_classes or (int(data.train.sample(1 << 20, seed)[1].max()) + 1)
    views = _representations(data, task, classes, seed, model, linear, skipped)
    found: list[Candidate] = []
    if data.soft_labels is not None and task == "classification":
        found.append(classification.soft_labels(data.soft_labels, confidence))
    return found + candidates_on(views, task, classes, confidence, seed, skipped), skipped


def candidates_on(
    views: list[representations.Representation],
    task: str,
    num_classes: int | None,
    confidence: float,
    seed: int,
    skipped: dict[str, str],
) -> list[Candidate]:
    """The neighbour (and, on outputs, plug-in) estimators on each representation; `skipped` gets why not."""
    found: list[Candidate] = []
    for view in views:
        if len(view.y) < 3:
            skipped[view.name] = f"only {len(view.y)} examples"
        elif task == "classification":
            classes = num_classes or int(view.y.max()) + 1
            found.extend(classification.knn(view.features, view.y, classes, view.name, confidence))
            if view.name == "outputs":
                found.append(classification.plug_in(view.features, view.y, confidence))
        else:
            found.extend(regression.noise_variance(view.features, view.y, view.name, confidence, seed))
    return found


def choose(candidates: list[Candidate], task: str) -> Candidate:
    """The candidate RULE picks (see the module's RULE)."""
    soft = [c for c in candidates if c.representation == "soft labels"]
    if soft:
        return soft[0]
    family = [c for c in candidates if c.name.startswith(MAIN_FAMILY[task] + ".")]
    trusted = [c for c in family if c.reliable] or family
    return min(trusted, key=lambda c: c.value)


def describe(c: Candidate) -> str:
    what = {
        "knn": "leave-one-out k-NN error",
        "gamma": "Gamma-test noise variance",
        "nn_difference": "nearest-neighbour-difference noise variance",
        "cover_hart": "Cover–Hart lower bound",
        "plugin": "calibrated plug-in (heuristic)",
        "soft_labels": "soft-label estimate",
    }[c.name.split(".")[0]]
    where = {
        "inputs": "standardised inputs",
        "linear": "a linear model's outputs on train-dev",
        "embedding": "the model's penultimate-layer embedding of train-dev",
        "outputs": "the model's outputs on train-dev",
        "soft labels": "the recipe's soft labels",
    }[c.representation]
    extra = f", {c.note}" if c.note else ""
    return f"{what} on {where} (n={c.n}, d={c.dimension}{extra})"


def _representations(
    data: Data,
    task: str,
    classes: int,
    seed: int,
    model: nn.Module | None,
    linear: Callable[[torch.Tensor], torch.Tensor] | None,
    skipped: dict[str, str],
) -> list[representations.Representation]:
    outputs = classes if task == "classification" else data.train.sample(1, seed)[1].reshape(1, -1).shape[1]
    made: list[representations.Representation | str] = [
        representations.inputs(data, seed),
        representations.linear(data, task, outputs, seed, linear),
    ]
    names = ["inputs", "linear"]
    if model is None:
        skipped["embedding"] = skipped["outputs"] = "no trained model given"
    elif not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
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
    """No classifier beats the Bayes error, so a held-out error bounds it from above."""
    value = min(raw.value, cap.value) if math.isfinite(cap.value) else raw.value
    high = max(value, min(raw.high, cap.high)) if math.isfinite(cap.high) else raw.high
    return Estimate(value, min(raw.low, value), high, raw.n, raw.method)
