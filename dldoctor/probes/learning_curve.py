"""Would more data help? Retrain on growing subsets and extrapolate the dev error."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import learning_curve
from dldoctor.diagnosis import Evidence, LearningCurve
from dldoctor.probes._base import Probe, RunContext


class LearningCurveProbe(Probe):
    name = "learning_curve"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.learning_curve else "not asked for (--learning-curve)"

    def run(self, ctx: RunContext, evidence: Evidence) -> LearningCurve | None:
        full = (ctx.results["train"].error, ctx.results["dev"].error)
        threshold = ctx.policy.min_gap * evidence.scale
        return learning_curve.learning_curve(ctx.recipe, ctx.data, ctx.device, ctx.seed, full, threshold)

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert result is None or isinstance(result, LearningCurve)
        return replace(evidence, learning_curve=result)
