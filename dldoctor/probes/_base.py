"""The probe seam: what a probe is, and the run it reads.

A probe measures one thing about the trained run and adds it to the evidence. It decides for
itself whether it is wanted, from the options and the evidence gathered so far, so follow-ups
(the trained easier models, the range test) need no orchestration of their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import torch

from dldoctor import baseline, folds, model_checks
from dldoctor.data import Data
from dldoctor.diagnosis import Evidence, Policy
from dldoctor.gradients import GradientMonitor
from dldoctor.recipe import Recipe
from dldoctor.report.model import ProbeSection
from dldoctor.training import History, SplitResult, finite_weights

if TYPE_CHECKING:
    from dldoctor.doctor import DiagnoseOptions


@dataclass
class RunContext:
    """One trained run, built once and handed to every probe."""

    recipe: Recipe
    options: DiagnoseOptions
    policy: Policy
    device: torch.device
    data: Data
    model: torch.nn.Module
    num_classes: int | None
    history: History
    results: dict[str, SplitResult]  # the trained model's loss and errors on each split
    monitor: GradientMonitor | None = None

    @property
    def seed(self) -> int:
        return self.options.seed

    @cached_property
    def sample(self) -> baseline.TrainingSample:
        """The training examples the easier models are compared on."""
        return baseline.TrainingSample.draw(
            self.model, self.data, self.recipe.task, self.options.confidence, self.seed, self.recipe.loss
        )

    @cached_property
    def linear(self) -> baseline.LinearProbe | baseline.Skipped:
        """The convex easier model's logistic / least-squares fit."""
        return baseline.linear_probe(self.sample, self.num_classes)

    @cached_property
    def inspection(self) -> model_checks.Inspection:
        """Static checks of the model on a few training examples, shared with the easier models."""
        outputs = self.sample.outputs(self.num_classes)
        return model_checks.inspect(self.model, self.sample.x, self.sample.y, self.recipe.task, outputs)

    @cached_property
    def cross_validation(self) -> folds.CrossValidation | None:
        """N-fold cross-validation when --folds asks for it, run once: its probe reports it, error
        analysis reads its held-out predictions (train's label noise)."""
        if not self.options.folds:
            return None
        return folds.cross_validate(
            self.recipe, self.data, self.device, self.seed, self.options.folds, self.options.confidence
        )

    @cached_property
    def weights_finite(self) -> bool:
        return finite_weights(self.model)


class Probe(ABC):
    """A measurement of the trained run. `run` returns its result or a `baseline.Skipped`."""

    name: ClassVar[str]  # the key of its result, and of its entry in `skipped` or `probe_failures`

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        """None to run; otherwise why not (it goes into the report's `skipped`)."""
        return None

    @abstractmethod
    def run(self, ctx: RunContext, evidence: Evidence) -> object: ...

    def add(self, evidence: Evidence, result: object) -> Evidence:
        """The evidence with this probe's result in it; probes the verdict does not read keep it as is."""
        return evidence

    def section(self, ctx: RunContext, result: object) -> ProbeSection | None:
        """Its own section of the report (numbers, and the lines every renderer shows), for a result
        the verdict does not read; None when the report shows the result elsewhere."""
        return None
