"""N-fold cross-validation over train + train-dev, for data too small for one fixed split."""

from __future__ import annotations

from dldoctor import folds
from dldoctor.baseline import Skipped
from dldoctor.diagnosis import Evidence
from dldoctor.probes._base import Probe, RunContext


class CrossValidation(Probe):
    name = "cross_validation"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.folds else "not asked for (--folds N)"

    def run(self, ctx: RunContext, evidence: Evidence) -> folds.CrossValidation | Skipped:
        return ctx.cross_validation or Skipped("not asked for (--folds N)")
