"""Gradient and activation health from the sampled training steps, and where a NaN first appeared."""

from __future__ import annotations

from dataclasses import replace

from dldoctor.diagnosis import Evidence, GradientHealth
from dldoctor.gradients import ACTIVATION_EXAMPLES, NonFiniteLocator, activation_health
from dldoctor.probes._base import Probe, RunContext
from dldoctor.training import build_model, fit


class Gradients(Probe):
    name = "gradients"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.monitor is not None else "turned off (--no-probes)"

    def run(self, ctx: RunContext, evidence: Evidence) -> GradientHealth:
        assert ctx.monitor is not None
        step = ctx.history.nonfinite_update
        if step is not None:
            return replace(ctx.monitor.summary(), nonfinite_origin=_locate(ctx, step))
        x, _ = ctx.data.train.sample(ACTIVATION_EXAMPLES, ctx.seed)
        return ctx.monitor.summary(activation_health(ctx.model, x))

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, GradientHealth)
        return replace(evidence, gradients=result)


def _locate(ctx: RunContext, step: int) -> str | None:
    """Replay the seeded run up to the first non-finite step, watching every layer."""
    replay = build_model(ctx.recipe, ctx.seed, ctx.device)
    locator = NonFiniteLocator(replay, step)
    fit(replay, ctx.data, ctx.recipe, seed=ctx.seed, monitor=locator)
    return locator.origin
