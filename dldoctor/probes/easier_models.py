"""The easier-model test: models easier to optimise than the user's, on the same training examples.

The convex fit always runs (it costs less than an epoch); the trained ones run only when the
evidence so far shows a material, significant avoidable bias.
"""

from __future__ import annotations

from dataclasses import replace

from dldoctor import baseline
from dldoctor.diagnosis import EasierModelResult, Evidence, needs_easier_models
from dldoctor.probes._base import Probe, RunContext


class _EasierModel(Probe):
    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.easier_model else "turned off (--no-easier-model)"

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, EasierModelResult)
        return replace(evidence, easier_models=(*evidence.easier_models, result))


class Convex(_EasierModel):
    name = "easier_model.convex"

    def run(self, ctx: RunContext, evidence: Evidence) -> EasierModelResult | baseline.Skipped:
        return baseline.convex(ctx.sample, ctx.linear)


class _Trained(_EasierModel):
    """An easier model that costs a training run: only worth it when training error is the problem."""

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return needs_easier_models(evidence, ctx.policy) or super().wanted(ctx, evidence)


class Shallow(_Trained):
    name = "easier_model.shallow"

    def run(self, ctx: RunContext, evidence: Evidence) -> EasierModelResult | baseline.Skipped:
        return baseline.shallow(ctx.sample, ctx.model, ctx.recipe, ctx.num_classes, ctx.seed)


class RecipeBaseline(_Trained):
    name = "easier_model.recipe"

    def run(self, ctx: RunContext, evidence: Evidence) -> EasierModelResult | baseline.Skipped:
        return baseline.recipe_baseline(ctx.sample, ctx.recipe, ctx.data, ctx.device, ctx.seed)
