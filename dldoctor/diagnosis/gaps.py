"""The error decomposition: each gap between adjacent errors, judged by its uncertainty.

Bayes ≤ train ≤ train-dev ≤ dev ≤ test, ideally. The total excess dev − Bayes says whether there
is anything to gain; each step up has one cause and one family of remedies. A step counts only
when its interval excludes zero (significant) and it is large enough to matter (material).
Variance is judged on its recoverable part, train-dev − max(train, Bayes): a model that memorised
some noise (train below Bayes) cannot win back the gap down to train, only down to Bayes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dldoctor.diagnosis.evidence import Evidence, Gap, Policy
from dldoctor.stats import Estimate, bonferroni_widening, difference


@dataclass(frozen=True)
class GapSpec:
    name: str
    upper: str
    lower: str
    kind: str  # the problem a significant, material gap reveals ("" for the total)
    meaning: str
    judged: bool = True  # a component the verdict attributes the total to


GAP_SPECS = (
    GapSpec(
        "total_excess",
        "dev",
        "bayes",
        "",
        "the model's dev error is above the lowest error possible",
        judged=False,
    ),
    GapSpec(
        "avoidable_bias",
        "train",
        "bayes",
        "high_bias",
        "the model does not fit its own training data as well as is possible",
    ),
    GapSpec(
        "variance",
        "train_dev",
        "train",
        "high_variance",
        "the model does worse on unseen data from the training distribution than on data it trained on",
        judged=False,
    ),
    GapSpec(
        "recoverable_variance",
        "train_dev",
        "floor",
        "high_variance",
        "the model does worse on unseen data from the training distribution than on data it trained on,"
        " by more than the noise it memorised",
    ),
    GapSpec(
        "data_mismatch",
        "dev",
        "train_dev",
        "data_mismatch",
        "the model does worse on the dev distribution than on held-out training-distribution data",
    ),
    GapSpec(
        "dev_overfit",
        "test",
        "dev",
        "dev_overfit",
        "the model does worse on test than on dev, which choices were tuned on",
    ),
)
SPEC = {spec.name: spec for spec in GAP_SPECS}


def threshold(evidence: Evidence, policy: Policy) -> float:
    """The smallest gap that matters, in the errors' own units."""
    return policy.min_gap * evidence.scale


def decompose(evidence: Evidence, policy: Policy) -> dict[str, Gap]:
    """Every gap whose two ends were measured (no Bayes estimate → no avoidable bias, ...).

    The intervals are simultaneous: Bonferroni-widened so that, when nothing is wrong, the chance
    that *any* gap looks significant stays at 1 − confidence, not several times that.
    """
    measured = _measured(evidence)
    present = [s for s in GAP_SPECS if measured.get(s.upper) and measured.get(s.lower)]
    widen = bonferroni_widening(policy.confidence, len(present))
    gaps = {}
    for spec in present:
        lower = floor_name(evidence) if spec.lower == "floor" else spec.lower
        upper_end, lower_end = ends_of(measured, spec.upper, lower)
        est = difference(upper_end, lower_end, widen)
        gaps[spec.name] = Gap(
            name=spec.name,
            upper=spec.upper,
            lower=lower,
            estimate=est,
            significant=math.isfinite(est.low) and est.low > 0,
            material=math.isfinite(est.value) and est.value >= threshold(evidence, policy),
            widen=widen,
            below=math.isfinite(est.high) and est.high < 0,
        )
    return gaps


def ends(evidence: Evidence, gap: Gap) -> tuple[Estimate, Estimate]:
    """The two estimates a gap is the difference of."""
    return ends_of(_measured(evidence), gap.upper, gap.lower)


def ends_of(measured: dict[str, Estimate | None], upper: str, lower: str) -> tuple[Estimate, Estimate]:
    a, b = measured[upper], measured[lower]
    assert a is not None and b is not None
    return a, b


def _measured(evidence: Evidence) -> dict[str, Estimate | None]:
    measured = {**evidence.errors, "bayes": evidence.bayes}
    return {**measured, "floor": measured.get(floor_name(evidence))}


def floor_name(evidence: Evidence) -> str:
    """Which of train and Bayes variance is measured from: the higher, the error one can get back to."""
    train, bayes = evidence.errors.get("train"), evidence.bayes
    return "train" if bayes is None or (train is not None and train.value >= bayes.value) else "bayes"
