"""Karpathy's checks on a fresh model: the loss at initialisation, one small batch, zeroed inputs."""

from __future__ import annotations

from dataclasses import replace

from dldoctor.diagnosis import Evidence, SanityChecks
from dldoctor.probes._base import Probe, RunContext
from dldoctor.sanity import sanity_checks


class Sanity(Probe):
    name = "sanity"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.probes else "turned off (--no-probes)"

    def run(self, ctx: RunContext, evidence: Evidence) -> SanityChecks:
        return sanity_checks(
            ctx.recipe, ctx.data, ctx.device, ctx.seed, ctx.history.initial_loss, ctx.num_classes
        )

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, SanityChecks)
        return replace(evidence, sanity=result)
