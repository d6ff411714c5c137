"""The Hessian where training ended: local minimum, saddle point or flat region."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import hessian
from dldoctor.diagnosis import CriticalPoint, Evidence
from dldoctor.probes._base import Probe, RunContext


class Hessian(Probe):
    name = "hessian"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        if not ctx.options.hessian:
            return "turned off (--no-hessian)"
        return None if ctx.weights_finite else "the weights are not finite"

    def run(self, ctx: RunContext, evidence: Evidence) -> CriticalPoint:
        x, y = ctx.data.train.sample(hessian.EXAMPLES, ctx.seed)
        training = sum(r.seconds for r in ctx.history.epochs)
        budget = min(hessian.BUDGET_SECONDS, max(1.0, 0.25 * training))
        return hessian.critical_point(
            ctx.model, x, y, ctx.recipe.task, seed=ctx.seed, budget=budget, loss_fn=ctx.recipe.loss
        )

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, CriticalPoint)
        return replace(evidence, critical_point=result)
