"""Static checks of the model itself: structural faults that cap what it can fit."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import model_checks
from dldoctor.diagnosis import Evidence
from dldoctor.probes._base import Probe, RunContext


class ModelChecks(Probe):
    name = "model_checks"

    def run(self, ctx: RunContext, evidence: Evidence) -> model_checks.Inspection:
        return ctx.inspection

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, model_checks.Inspection)
        return replace(evidence, model_checks=result.checks)
