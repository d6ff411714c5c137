"""The learning-rate range test, run when the evidence shows an optimisation failure."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import lrfind
from dldoctor.diagnosis import Evidence, RangeTest, needs_range_test
from dldoctor.probes._base import Probe, RunContext


class RangeTestProbe(Probe):
    name = "lr_range_test"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        reason = needs_range_test(evidence, ctx.policy)
        if reason is None and not ctx.options.lr_find:
            return "turned off (--no-lr-find)"
        return reason

    def run(self, ctx: RunContext, evidence: Evidence) -> RangeTest:
        return lrfind.lr_range_test(ctx.recipe, ctx.data, ctx.device, ctx.seed)

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, RangeTest)
        return replace(evidence, range_test=result)
