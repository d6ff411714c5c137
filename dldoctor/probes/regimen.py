"""How the recipe trained: its schedule, clipping, fp16 steps, batch order and loss (set-up readings)."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import regimen
from dldoctor.diagnosis import Evidence, Regimen
from dldoctor.probes._base import Probe, RunContext


class RegimenProbe(Probe):
    name = "regimen"

    def run(self, ctx: RunContext, evidence: Evidence) -> Regimen:
        return regimen.measure(ctx.recipe, ctx.data, ctx.history, ctx.model)

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, Regimen)
        return replace(evidence, regimen=result)
