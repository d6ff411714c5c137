"""Train-dev against dev: a two-sample test on the model's embedding."""

from __future__ import annotations

from dataclasses import replace

from dldoctor import mismatch
from dldoctor.diagnosis import Evidence, MismatchTest
from dldoctor.probes._base import Probe, RunContext


class Mismatch(Probe):
    name = "mismatch_test"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.weights_finite else "the weights are not finite"

    def run(self, ctx: RunContext, evidence: Evidence) -> MismatchTest | None:
        return mismatch.mismatch_test(ctx.model, ctx.data, ctx.seed)

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert result is None or isinstance(result, MismatchTest)
        return replace(evidence, mismatch=result)
