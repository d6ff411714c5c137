"""Error analysis of the trained model: where the errors are, suspected label errors, calibration,
slices. Runs after cross-validation, whose held-out predictions give train's label noise."""

from __future__ import annotations

from dldoctor import held_out
from dldoctor.diagnosis import Evidence
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.probes._base import Probe, RunContext


class ErrorAnalysisProbe(Probe):
    name = "error_analysis"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.errors else "turned off (--no-errors)"

    def run(self, ctx: RunContext, evidence: Evidence) -> ErrorAnalysis:
        return held_out.error_analysis(
            ctx.model, ctx.data, ctx.recipe.task, ctx.options.confidence, ctx.seed, ctx.cross_validation
        )
