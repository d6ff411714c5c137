"""`diagnose`: train a recipe, measure every split, estimate the Bayes error, conclude."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from dldoctor import bayes, folds, lrfind
from dldoctor import task as tasks
from dldoctor._version import __version__
from dldoctor.data import Data, batch_size_warning, target_scale, training_steps
from dldoctor.diagnosis import Evidence, Policy, RangeTest, Setup, TrainingSignals, conclude
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.errors import UsageError
from dldoctor.gradients import GradientMonitor
from dldoctor.optim import field_label
from dldoctor.probes import PROBES, ProbeRun, RunContext, run_probes
from dldoctor.probes.bayes_error import unavailable
from dldoctor.recipe import Recipe, load_recipe
from dldoctor.report import Report
from dldoctor.stats import Estimate, mean_interval
from dldoctor.training import (
    EpochCallback,
    History,
    SplitResult,
    evaluate,
    fit,
    optimizer_steps,
    prepare_run,
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
    probes: bool = True  # gradient monitor, activation health, one-batch sanity checks
    hessian: bool = True
    lr_find: bool = True
    learning_curve: bool = False  # retrain on growing subsets: would more data help?
    folds: int | None = None  # also cross-validate: N-fold errors with intervals, for small data
    errors: bool = True  # error analysis: per class, label noise, calibration, slices (one more pass)
    seed_repeats: int = 0  # retrain over K more seeds: the seed-to-seed spread of train and dev error

    def validate(self) -> DiagnoseOptions:
        if not 0.5 <= self.confidence < 1:
            raise UsageError(f"--confidence must be in [0.5, 1), got {self.confidence}")
        if not (math.isfinite(self.min_gap) and self.min_gap >= 0):
            raise UsageError(f"--min-gap must be a non-negative number, got {self.min_gap}")
        if self.epochs is not None and self.epochs < 1:
            raise UsageError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.folds is not None and self.folds < 2:
            raise UsageError(f"--folds must be at least 2, got {self.folds}")
        if self.seed_repeats < 0:
            raise UsageError(f"--seed-repeats must be 0 (off) or a number of seeds, got {self.seed_repeats}")
        return self


def diagnose(
    recipe: Recipe | str | Path,
    options: DiagnoseOptions | None = None,
    on_epoch: EpochCallback | None = None,
) -> Report:
    """Train the recipe once, probe and measure it, and return the full report.

    Raises DoctorError on bad input. A probe that fails is recorded in the report, never fatal;
    costly follow-ups (trained easier models, the range test) run only when the evidence calls for them.
    """
    started = time.perf_counter()
    options = (options or DiagnoseOptions()).validate()
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    recipe = recipe.replace(
        epochs=options.epochs, bayes_error=options.bayes_error, target_error=options.target_error
    )
    device = resolve_device(options.device)
    data, model, num_classes = prepare_run(recipe, options.seed, device)
    steps = recipe.epochs * optimizer_steps(len(data.train), recipe.batch_size, recipe.accumulate)
    monitor = GradientMonitor(model, steps) if options.probes else None
    history = fit(model, data, recipe, seed=options.seed, on_epoch=on_epoch, monitor=monitor)
    run = TrainedRun(recipe, options, device, data, model, num_classes, history, monitor)
    return examine(run, started)


@dataclass(frozen=True)
class TrainedRun:
    """A model trained by anyone (diagnose, the monitor, the Lightning callback), its data and history."""

    recipe: Recipe
    options: DiagnoseOptions
    device: torch.device
    data: Data
    model: torch.nn.Module
    num_classes: int | None
    history: History
    monitor: GradientMonitor | None = None


def examine(run: TrainedRun, started: float, source: str = "recipe") -> Report:
    """A trained model + its data + its training history → the Report: measure every split, run the
    probes, conclude. Every entry point that has the model ends here."""
    task = run.recipe.task
    options, recipe = run.options, run.recipe
    results = {
        name: evaluate(run.model, split, task, loss=recipe.loss) for name, split in run.data.named().items()
    }
    policy = Policy(options.confidence, options.min_gap, recipe.target_error)
    ctx = RunContext(
        recipe,
        options,
        policy,
        run.device,
        run.data,
        run.model,
        run.num_classes,
        run.history,
        results,
        run.monitor,
    )
    found = run_probes(PROBES, ctx, _measured(ctx))
    return assemble(
        found,
        policy,
        Origin(recipe.name, recipe.description, source, options.seed, str(run.device), started),
        run.history,
        run.data.train_dev_carved,
        [
            w
            for w in (batch_size_warning(len(run.data.train), recipe.batch_size, run.data.train_dev_carved),)
            if w
        ],
        other_errors(results, options.confidence),
    )


def other_errors(results: dict[str, SplitResult], confidence: float) -> dict[str, dict[str, Estimate]]:
    """The task's other errors per split, reported beside its own (multilabel: exact match)."""
    metrics = next(iter(results.values())).also if results else {}
    return {m: {n: mean_interval(r.also[m], confidence) for n, r in results.items()} for m in metrics}


@dataclass(frozen=True)
class Origin:
    """Where a report came from: what it is called, which entry point made it, with what seed and when."""

    name: str
    description: str
    source: str  # "recipe", "monitor" or "predictions"
    seed: int
    device: str
    started: float  # time.perf_counter() when the work began


def assemble(
    found: ProbeRun,
    policy: Policy,
    origin: Origin,
    history: History,
    train_dev_carved: bool,
    warnings: list[str] | None = None,
    other_errors: dict[str, dict[str, Estimate]] | None = None,
) -> Report:
    """The evidence the probes completed → the verdict and the Report; shared by every entry point."""
    evidence = found.evidence
    bayes_estimate = found.results.get("bayes")
    if not isinstance(bayes_estimate, bayes.BayesEstimate):
        bayes_estimate = unavailable(found.failures.get("bayes", found.skipped.get("bayes", "not run")))
    cross_validation = found.results.get("cross_validation")
    if isinstance(cross_validation, folds.CrossValidation):  # one more held-out error bounds the Bayes error
        held_out = {
            f"the {cross_validation.folds}-fold cross-validation error": cross_validation.errors["train_dev"]
        }
        bayes_estimate = bayes.with_held_out(bayes_estimate, held_out, evidence.task)
        evidence = replace(evidence, bayes=bayes_estimate.estimate)
    analysis = found.results.get("error_analysis")
    return Report(
        recipe=origin.name,
        task=evidence.task,
        diagnosis=conclude(evidence, policy),
        errors=evidence.errors,
        bayes=bayes_estimate,
        history=history,
        setup=evidence.setup,
        policy=policy,
        seed=origin.seed,
        device=origin.device,
        seconds=time.perf_counter() - origin.started,
        train_dev_carved=train_dev_carved,
        scale=evidence.scale,
        easier_models=evidence.easier_models,
        sanity=evidence.sanity,
        gradients=evidence.gradients,
        critical_point=evidence.critical_point,
        range_test=evidence.range_test,
        mismatch=evidence.mismatch,
        learning_curve=evidence.learning_curve,
        cross_validation=cross_validation if isinstance(cross_validation, folds.CrossValidation) else None,
        model_checks=evidence.model_checks,
        leakage=evidence.leakage,
        error_analysis=analysis if isinstance(analysis, ErrorAnalysis) else None,
        skipped=found.skipped,
        probe_failures=found.failures,
        sections=found.sections,
        warnings=warnings or [],
        regimen=evidence.regimen,
        description=origin.description,
        versions={"dldoctor": __version__, "torch": torch.__version__},
        source=origin.source,
        other_errors=other_errors or {},
    )


def _measured(ctx: RunContext) -> Evidence:
    """The evidence every diagnosis has before any probe: errors, the loss trajectory, the set-up."""
    task, n_train = ctx.recipe.task, len(ctx.data.train)
    scale = target_scale(ctx.data, task, ctx.seed)
    return Evidence(
        task=task,
        scale=scale,
        errors={
            n: tasks.get(task).error_estimate(r.errors, ctx.options.confidence)
            for n, r in ctx.results.items()
        },
        bayes=None,
        training=signals(ctx.history, ctx.results["train"], training_steps(n_train, ctx.recipe.batch_size)),
        setup=_setup(ctx.recipe, n_train),
        chance_error=tasks.get(task).chance_error(ctx.num_classes, scale),
    )


def find_lr(
    recipe: Recipe | str | Path,
    seed: int = 0,
    device: str | None = None,
    *,
    start: float = lrfind.START,
    end: float = lrfind.END,
    steps: int = lrfind.STEPS,
) -> RangeTest:
    """The learning-rate range test on its own, on a fresh model (`dldoctor lr-find`)."""
    if not 0 < start < end or not math.isfinite(end):
        raise UsageError(f"the sweep needs 0 < --start < --end, got start={start:g}, end={end:g}")
    if steps < 10:
        raise UsageError(f"--steps must be at least 10 for a readable curve, got {steps}")
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    torch_device = resolve_device(device)
    data, _, _ = prepare_run(recipe, seed, torch_device)
    return lrfind.lr_range_test(recipe, data, torch_device, seed, start=start, end=end, steps=steps)


def estimate_bayes(
    recipe: Recipe | str | Path,
    seed: int = 0,
    device: str | None = None,
    *,
    epochs: int | None = None,
    confidence: float = 0.95,
    train: bool = True,
) -> bayes.BayesEstimate:
    """Every Bayes-error estimator on the recipe's data, and what `diagnose` would use: the recipe's
    bayes_error when it gives one, else the estimate RULE chooses.

    With `train`, the recipe's model is trained first (as diagnose does) so that its embedding and
    outputs of train-dev join the representations; without, only inputs and a linear projection.
    """
    options = DiagnoseOptions(seed=seed, device=device, epochs=epochs, confidence=confidence).validate()
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    recipe = recipe.replace(epochs=options.epochs)
    torch_device = resolve_device(device)
    data, model, num_classes = prepare_run(recipe, seed, torch_device)
    cap = Estimate(math.inf, math.inf, math.inf)  # untrained: no held-out error bounds the estimate
    if train:
        fit(model, data, recipe, seed=seed)
        cap = tasks.get(recipe.task).error_estimate(
            evaluate(model, data.train_dev, recipe.task, loss=recipe.loss).errors, confidence
        )
    found = bayes.estimate(
        data, recipe.task, num_classes, cap, confidence, seed, model=model if train else None
    )
    return found if recipe.bayes_error is None else bayes.given(recipe.bayes_error, found)


def signals(history: History, train: SplitResult, steps_per_epoch: int) -> TrainingSignals:
    """The loss trajectory the verdict reads, from a training history and the final training error."""
    return TrainingSignals(
        initial_loss=history.initial_loss,
        final_loss=train.loss,
        epoch_losses=tuple(r.train_loss for r in history.epochs),
        dev_errors=tuple(r.dev_error for r in history.epochs),
        nonfinite_step=history.nonfinite_step,
        steps_per_epoch=steps_per_epoch,
        step_losses=tuple(history.step_losses),
    )


def _setup(recipe: Recipe, n_train: int) -> Setup:
    return Setup(
        optimizer=field_label(recipe.optimizer),
        lr=recipe.lr,
        beta=recipe.beta,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        weight_decay=recipe.weight_decay,
        n_train=n_train,
        scheduler=None if recipe.scheduler is None else field_label(recipe.scheduler),
        loss=None if recipe.loss is None else field_label(recipe.loss),
        grad_clip=recipe.grad_clip,
        precision=recipe.precision,
        accumulate=recipe.accumulate,
        shuffle=recipe.shuffle,
        early_stopping=recipe.early_stopping,
    )
