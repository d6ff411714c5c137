"""`diagnose`: train a recipe, measure every split, estimate the Bayes error, conclude."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from dldoctor import (
    baseline,
    bayes,
    duplicates,
    folds,
    hessian,
    learning_curve,
    lrfind,
    mismatch,
    model_checks,
)
from dldoctor._version import __version__
from dldoctor.data import Data, target_scale, training_steps
from dldoctor.diagnosis import (
    CriticalPoint,
    Duplicates,
    EasierModelResult,
    Evidence,
    GradientHealth,
    LearningCurve,
    MismatchTest,
    Policy,
    RangeTest,
    SanityChecks,
    Setup,
    TrainingSignals,
    conclude,
)
from dldoctor.errors import UsageError
from dldoctor.gradients import ACTIVATION_EXAMPLES, GradientMonitor, NonFiniteLocator, activation_health
from dldoctor.recipe import Recipe, load_recipe
from dldoctor.report import Report
from dldoctor.sanity import sanity_checks
from dldoctor.stats import Estimate, error_estimate
from dldoctor.training import (
    EpochCallback,
    History,
    SplitResult,
    build_model,
    evaluate,
    fit,
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

    def validate(self) -> DiagnoseOptions:
        if not 0.5 <= self.confidence < 1:
            raise UsageError(f"--confidence must be in [0.5, 1), got {self.confidence}")
        if not (math.isfinite(self.min_gap) and self.min_gap >= 0):
            raise UsageError(f"--min-gap must be a non-negative number, got {self.min_gap}")
        if self.epochs is not None and self.epochs < 1:
            raise UsageError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.folds is not None and self.folds < 2:
            raise UsageError(f"--folds must be at least 2, got {self.folds}")
        return self


def diagnose(
    recipe: Recipe | str | Path,
    options: DiagnoseOptions | None = None,
    on_epoch: EpochCallback | None = None,
) -> Report:
    """Train the recipe once, probe and measure it, and return the full report.

    Raises DldoctorError on bad input. Costly follow-ups (trained easier models, the range test)
    run only when a first reading of the evidence calls for them.
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
    steps = recipe.epochs * training_steps(len(data.train), recipe.batch_size)
    monitor = GradientMonitor(model, steps) if options.probes else None
    history = fit(model, data, recipe, seed=options.seed, on_epoch=on_epoch, monitor=monitor)
    run = _Run(recipe, options, device, data, model, num_classes, history)
    evidence, skipped = run.evidence(monitor)
    policy = Policy(options.confidence, options.min_gap, recipe.target_error)
    evidence = run.follow_up(evidence, policy, skipped)
    cross_validation = (
        folds.cross_validate(recipe, data, device, options.seed, options.folds, options.confidence)
        if options.folds
        else None
    )
    return Report(
        recipe=recipe.name,
        task=recipe.task,
        diagnosis=conclude(evidence, policy),
        errors=evidence.errors,
        bayes=run.bayes,
        history=history,
        setup=evidence.setup,
        policy=policy,
        seed=options.seed,
        device=str(device),
        seconds=time.perf_counter() - started,
        train_dev_carved=data.train_dev_carved,
        scale=evidence.scale,
        easier_models=evidence.easier_models,
        sanity=evidence.sanity,
        gradients=evidence.gradients,
        critical_point=evidence.critical_point,
        range_test=evidence.range_test,
        mismatch=evidence.mismatch,
        learning_curve=evidence.learning_curve,
        cross_validation=cross_validation,
        model_checks=evidence.model_checks,
        leakage=evidence.leakage,
        skipped=skipped,
        description=recipe.description,
        versions={"dldoctor": __version__, "torch": torch.__version__},
    )


@dataclass
class _Run:
    """One diagnosis after training: turns the trained model into evidence."""

    recipe: Recipe
    options: DiagnoseOptions
    device: torch.device
    data: Data
    model: torch.nn.Module
    num_classes: int | None
    history: History

    def evidence(self, monitor: GradientMonitor | None) -> tuple[Evidence, dict[str, str]]:
        recipe, options, task = self.recipe, self.options, self.recipe.task
        results = {name: evaluate(self.model, split, task) for name, split in self.data.named().items()}
        errors = {name: error_estimate(r.errors, task, options.confidence) for name, r in results.items()}
        self.sample = baseline.TrainingSample.draw(
            self.model, self.data, task, options.confidence, options.seed
        )
        probe = baseline.linear_probe(self.sample, self.num_classes)
        fitted = None if isinstance(probe, baseline.Skipped) else probe
        self.bayes = _bayes(
            recipe, self.data, self.num_classes, errors["train_dev"], options, self.model, fitted
        )
        skipped: dict[str, str] = {}
        self.inspection = self._inspect(skipped)
        easier = self._easier(
            [("convex", lambda: baseline.convex(self.sample, probe, self.inspection, recipe.weight_decay))],
            skipped,
        )
        scale = target_scale(self.data, task, options.seed)
        evidence = Evidence(
            task=task,
            scale=scale,
            errors=errors,
            bayes=self.bayes.estimate,
            training=_signals(self.history, results["train"], len(self.data.train), recipe.batch_size),
            setup=_setup(recipe, len(self.data.train)),
            easier_models=easier,
            sanity=self._sanity(skipped),
            gradients=self._gradients(monitor, skipped),
            critical_point=self._critical_point(skipped),
            mismatch=self._mismatch(skipped),
            learning_curve=self._learning_curve(results, options.min_gap * scale, skipped),
            model_checks=self.inspection.checks if self.inspection else (),
            leakage=self._leakage(skipped),
        )
        return evidence, skipped

    def follow_up(self, evidence: Evidence, policy: Policy, skipped: dict[str, str]) -> Evidence:
        """Train easier models when training error is high; run the range test when lr is implicated."""
        first = conclude(evidence, policy)
        bias = first.gaps.get("avoidable_bias")
        if (
            bias is not None
            and bias.significant
            and bias.material
            and evidence.training.nonfinite_step is None
        ):
            more = self._easier(
                [
                    ("shallower", self._shallower),
                    (
                        "recipe",
                        lambda: baseline.recipe_baseline(
                            self.sample, self.recipe, self.data, self.device, self.options.seed
                        ),
                    ),
                ],
                skipped,
            )
            evidence = replace(evidence, easier_models=evidence.easier_models + more)
        second = conclude(evidence, policy)
        if any(f.kind == "optimization_failure" for f in second.findings):
            evidence = replace(evidence, range_test=self._range_test(skipped))
        else:
            skipped["lr_range_test"] = "not needed: no optimisation failure"
        return evidence

    def _easier(self, makers: list, skipped: dict[str, str]) -> tuple[EasierModelResult, ...]:
        found = []
        for kind, make in makers:
            result = (
                make() if self.options.easier_model else baseline.Skipped("turned off (--no-easier-model)")
            )
            if isinstance(result, baseline.Skipped):
                skipped[f"easier_model.{kind}"] = result.reason
            else:
                found.append(result)
        return tuple(found)

    def _shallower(self) -> EasierModelResult | baseline.Skipped:
        if self.inspection is None:
            return baseline.Skipped("the model could not be inspected")
        return baseline.shallower(self.sample, self.inspection, self.recipe, self.options.seed)

    def _inspect(self, skipped: dict[str, str]) -> model_checks.Inspection | None:
        """Static checks of the model; a model the hooks cannot follow is recorded, not fatal."""
        outputs = self.sample.outputs(self.num_classes)
        try:
            return model_checks.inspect(self.model, self.sample.x, self.sample.y, self.recipe.task, outputs)
        except Exception as error:  # a probe's failure must not take the diagnosis down
            skipped["model_checks"] = f"failed: {type(error).__name__}: {error}"
            return None

    def _leakage(self, skipped: dict[str, str]) -> tuple[Duplicates, ...]:
        """Dev and test inputs that also sit in train (exactly, or nearly in standardised input space)."""
        seed = self.options.seed
        train, _ = self.data.train.sample(duplicates.MAX_REFERENCE, seed)
        found = []
        for split in (self.data.dev, self.data.test):
            if split is not None:
                x, _ = split.sample(duplicates.MAX_QUERY, seed)
                found.append(duplicates.find_duplicates(x, train, split.name, "train", seed=seed))
        return tuple(found)

    def _sanity(self, skipped: dict[str, str]) -> SanityChecks | None:
        if not self.options.probes:
            skipped["sanity"] = "turned off (--no-probes)"
            return None
        return sanity_checks(
            self.recipe,
            self.data,
            self.device,
            self.options.seed,
            self.history.initial_loss,
            self.num_classes,
        )

    def _gradients(self, monitor: GradientMonitor | None, skipped: dict[str, str]) -> GradientHealth | None:
        if monitor is None:
            skipped["gradients"] = "turned off (--no-probes)"
            return None
        step = self.history.nonfinite_step
        if step is not None:
            return replace(monitor.summary(), nonfinite_origin=self._locate(step))
        x, _ = self.data.train.sample(ACTIVATION_EXAMPLES, self.options.seed)
        return monitor.summary(activation_health(self.model, x))

    def _locate(self, step: int) -> str | None:
        """Replay the seeded run up to the first non-finite step, watching every layer."""
        replay = build_model(self.recipe, self.options.seed, self.device)
        locator = NonFiniteLocator(replay, step)
        fit(replay, self.data, self.recipe, seed=self.options.seed, monitor=locator)
        return locator.origin

    def _critical_point(self, skipped: dict[str, str]) -> CriticalPoint | None:
        if not self.options.hessian:
            skipped["hessian"] = "turned off (--no-hessian)"
            return None
        if not all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
            skipped["hessian"] = "the weights are not finite"
            return None
        x, y = self.data.train.sample(hessian.EXAMPLES, self.options.seed)
        budget = min(hessian.BUDGET_SECONDS, max(1.0, 0.25 * sum(r.seconds for r in self.history.epochs)))
        return hessian.critical_point(
            self.model, x, y, self.recipe.task, seed=self.options.seed, budget=budget
        )

    def _mismatch(self, skipped: dict[str, str]) -> MismatchTest | None:
        if not all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
            skipped["mismatch_test"] = "the weights are not finite"
            return None
        return mismatch.mismatch_test(self.model, self.data, self.options.seed)

    def _learning_curve(
        self, results: dict[str, SplitResult], threshold: float, skipped: dict[str, str]
    ) -> LearningCurve | None:
        if not self.options.learning_curve:
            skipped["learning_curve"] = "not asked for (--learning-curve)"
            return None
        full = (results["train"].error, results["dev"].error)
        return learning_curve.learning_curve(
            self.recipe, self.data, self.device, self.options.seed, full, threshold
        )

    def _range_test(self, skipped: dict[str, str]) -> RangeTest | None:
        if not self.options.lr_find:
            skipped["lr_range_test"] = "turned off (--no-lr-find)"
            return None
        return lrfind.lr_range_test(self.recipe, self.data, self.device, self.options.seed)


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
    """Every Bayes-error estimator on the recipe's data, and the one `diagnose` would use.

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
        cap = error_estimate(evaluate(model, data.train_dev, recipe.task).errors, recipe.task, confidence)
    return bayes.estimate(
        data, recipe.task, num_classes, cap, confidence, seed, model=model if train else None
    )


def _bayes(
    recipe: Recipe,
    data: Data,
    num_classes: int | None,
    train_dev: Estimate,
    options: DiagnoseOptions,
    model: torch.nn.Module | None = None,
    linear: baseline.LinearProbe | None = None,
) -> bayes.BayesEstimate:
    if recipe.bayes_error is not None:
        return bayes.given(recipe.bayes_error)
    return bayes.estimate(
        data,
        recipe.task,
        num_classes,
        train_dev,
        options.confidence,
        options.seed,
        model=model,
        linear=linear,
    )


def _signals(history: History, train: SplitResult, n_train: int, batch_size: int) -> TrainingSignals:
    return TrainingSignals(
        initial_loss=history.initial_loss,
        final_loss=train.loss,
        epoch_losses=tuple(r.train_loss for r in history.epochs),
        dev_errors=tuple(r.dev_error for r in history.epochs),
        nonfinite_step=history.nonfinite_step,
        steps_per_epoch=training_steps(n_train, batch_size),
        step_losses=tuple(history.step_losses),
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
