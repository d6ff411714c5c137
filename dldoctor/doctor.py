"""`diagnose`: train a recipe, measure every split, estimate the Bayes error, conclude."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from dldoctor import baseline, bayes
from dldoctor._version import __version__
from dldoctor.data import Data, check_labels, prepare, target_scale, training_steps
from dldoctor.diagnosis import Evidence, Policy, Setup, TrainingSignals, conclude
from dldoctor.errors import UsageError, user_code
from dldoctor.recipe import Recipe, load_recipe
from dldoctor.report import Report
from dldoctor.stats import Estimate, error_estimate
from dldoctor.training import (
    EpochCallback,
    History,
    SplitResult,
    build_model,
    check_output,
    evaluate,
    fit,
    resolve_device,
)


@dataclass(frozen=True)
class DiagnoseOptions:
    """How to run a diagnosis; None leaves the recipe's own value in place."""

    seed: int = 0
    device: str | None = None
    epochs: int | None = None
    bayes_error: float | None = None
    target_error: float | None = None
    confidence: float = 0.95
    min_gap: float = Policy.min_gap
    easier_model: bool = True

    def validate(self) -> DiagnoseOptions:
        if not 0.5 <= self.confidence < 1:
            raise UsageError(f"--confidence must be in [0.5, 1), got {self.confidence}")
        if not (math.isfinite(self.min_gap) and self.min_gap >= 0):
            raise UsageError(f"--min-gap must be a non-negative number, got {self.min_gap}")
        if self.epochs is not None and self.epochs < 1:
            raise UsageError(f"--epochs must be a positive integer, got {self.epochs}")
        return self


def diagnose(
    recipe: Recipe | str | Path,
    options: DiagnoseOptions | None = None,
    on_epoch: EpochCallback | None = None,
) -> Report:
    """Train the recipe once and return the full report; raises DldoctorError on bad input."""
    started = time.perf_counter()
    options = (options or DiagnoseOptions()).validate()
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    recipe = recipe.replace(
        epochs=options.epochs, bayes_error=options.bayes_error, target_error=options.target_error
    )
    device = resolve_device(options.device)
    with user_code("the recipe's data factory"):
        splits = recipe.data(options.seed)
    data = prepare(splits, recipe.task, device, options.seed)
    model = build_model(recipe, options.seed, device)
    num_classes = _check_model(model, data, recipe.task)
    history = fit(model, data, recipe, seed=options.seed, on_epoch=on_epoch)
    results = {name: evaluate(model, split, recipe.task) for name, split in data.named().items()}
    errors = {
        name: error_estimate(result.errors, recipe.task, options.confidence)
        for name, result in results.items()
    }
    bayes_estimate = _bayes(recipe, data, num_classes, errors["train_dev"], options)
    easier = (
        baseline.easier_model_test(model, data, recipe.task, num_classes, options.confidence, options.seed)
        if options.easier_model
        else baseline.Skipped("turned off")
    )
    evidence = Evidence(
        task=recipe.task,
        scale=target_scale(data, recipe.task, options.seed),
        errors=errors,
        bayes=bayes_estimate.estimate,
        training=_signals(history, results["train"], len(data.train), recipe.batch_size),
        setup=_setup(recipe, len(data.train)),
        easier_model=None if isinstance(easier, baseline.Skipped) else easier,
    )
    policy = Policy(options.confidence, options.min_gap, recipe.target_error)
    return Report(
        recipe=recipe.name,
        task=recipe.task,
        diagnosis=conclude(evidence, policy),
        errors=errors,
        bayes=bayes_estimate,
        history=history,
        setup=evidence.setup,
        policy=policy,
        seed=options.seed,
        device=str(device),
        seconds=time.perf_counter() - started,
        train_dev_carved=data.train_dev_carved,
        scale=evidence.scale,
        easier_model=evidence.easier_model,
        easier_model_skipped=easier.reason if isinstance(easier, baseline.Skipped) else None,
        description=recipe.description,
        versions={"dldoctor": __version__, "torch": torch.__version__},
    )


def _check_model(model: torch.nn.Module, data: Data, task: str) -> int | None:
    num_classes = check_output(model, data, task)
    if num_classes is not None:
        check_labels(data, num_classes)
    return num_classes


def _bayes(
    recipe: Recipe, data: Data, num_classes: int | None, train_dev: Estimate, options: DiagnoseOptions
) -> bayes.BayesEstimate:
    if recipe.bayes_error is not None:
        return bayes.given(recipe.bayes_error)
    return bayes.estimate(data, recipe.task, num_classes, train_dev, options.confidence, options.seed)


def _signals(history: History, train: SplitResult, n_train: int, batch_size: int) -> TrainingSignals:
    return TrainingSignals(
        initial_loss=history.initial_loss,
        final_loss=train.loss,
        epoch_losses=tuple(r.train_loss for r in history.epochs),
        dev_errors=tuple(r.dev_error for r in history.epochs),
        nonfinite_step=history.nonfinite_step,
        steps_per_epoch=training_steps(n_train, batch_size),
    )


def _setup(recipe: Recipe, n_train: int) -> Setup:
    return Setup(
        optimizer=recipe.optimizer,
        lr=recipe.lr,
        beta=recipe.beta,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        weight_decay=recipe.weight_decay,
        n_train=n_train,
    )
