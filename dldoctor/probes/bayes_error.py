"""The Bayes error: the user's value when given, else the estimator family on the run's data."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import bayes
from dldoctor.diagnosis import Evidence
from dldoctor.probes._base import Probe, RunContext


class BayesError(Probe):
    name = "bayes"

    def run(self, ctx: RunContext, evidence: Evidence) -> bayes.BayesEstimate:
        if ctx.recipe.bayes_error is not None:
            return bayes.given(ctx.recipe.bayes_error)
        return bayes.estimate(
            ctx.data,
            ctx.recipe.task,
            ctx.num_classes,
            evidence.errors["train_dev"],
            ctx.options.confidence,
            ctx.seed,
            model=ctx.model,
        )

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, bayes.BayesEstimate)
        return replace(evidence, bayes=result.estimate)


def unavailable(why: str) -> bayes.BayesEstimate:
    """What the report says when the estimator itself failed: no Bayes error, so no avoidable bias."""
    return bayes.BayesEstimate(None, "unavailable", f"the estimator failed ({why})")
