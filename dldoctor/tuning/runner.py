"""Trial runners: train the trials a study hands out and say how each ended.

The study loop only talks to the `TrialRunner` protocol, so a runner that trains K trials at once
(a packed `torch.func` population) can replace `SequentialRunner` without touching the loop.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from dldoctor.data import Data, TensorSplit
from dldoctor.divergence import diverged
from dldoctor.errors import user_code
from dldoctor.inputs import single
from dldoctor.population import Population, member_of, uses_randomness
from dldoctor.recipe import Recipe
from dldoctor.training import EpochRecord, build_model, evaluate, fit, initial_loss
from dldoctor.tuning.status import TrialStatus

INITIAL_SAMPLE = 2048  # examples used to measure the loss at initialisation, the divergence yardstick

# (trial number, epoch, dev metric) -> True when the trial should stop now (pruned).
Monitor = Callable[[int, int, float], bool]
# A packed runner's hooks: a trial ended (at once, so the study learns of it), and a freed slot asks
# for another trial of the same shape (None: there is none).
Finish = Callable[["TrialPlan", "TrialOutcome"], None]
Refill = Callable[[tuple], "TrialPlan | None"]


@dataclass(frozen=True)
class TrialPlan:
    """One trial to train: the recipe with the trial's optimiser settings, the model's keywords."""

    number: int
    recipe: Recipe
    model_params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended; `value` is the final dev metric of a complete trial, `errors` its final
    error on each split the runner was asked to measure."""

    status: TrialStatus
    value: float | None = None
    epochs: int = 0
    message: str = ""
    errors: dict[str, float] = field(default_factory=dict)


class TrialRunner(Protocol):
    """Trains up to `capacity` trials per call and returns one outcome per plan, in order."""

    capacity: int

    def run(self, plans: Sequence[TrialPlan], monitor: Monitor) -> list[TrialOutcome]: ...


class SequentialRunner:
    """One trial at a time through dldoctor's training engine, on data prepared once per worker.
    `measure` names the splits whose final error a complete trial reports (diagnose's seed repeats)."""

    capacity = 1

    def __init__(self, data: Data, metric: str, device: torch.device, measure: Sequence[str] = ()) -> None:
        self.data = data
        self.metric = metric
        self.device = device
        self.measure = tuple(measure)

    def run(self, plans: Sequence[TrialPlan], monitor: Monitor) -> list[TrialOutcome]:
        return [self._run_one(plan, monitor) for plan in plans]

    def _run_one(self, plan: TrialPlan, monitor: Monitor) -> TrialOutcome:
        watcher = _Watcher(plan.number, self.metric, monitor)
        try:
            model = build_model(plan.recipe, plan.seed, self.device, **plan.model_params)
            watcher.start_loss = initial_loss(model, self.data, plan.recipe.task, plan.seed, INITIAL_SAMPLE)
            fit(model, self.data, plan.recipe, seed=plan.seed, on_epoch=watcher, train_dev=False)
        except _Stop as stop:
            return TrialOutcome(stop.status, None, watcher.epochs, stop.message)
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            message = f"out of memory at batch size {plan.recipe.batch_size}"
        else:
            errors = {
                name: evaluate(model, self.data.named()[name], plan.recipe.task, loss=plan.recipe.loss).error
                for name in self.measure
            }
            return TrialOutcome(TrialStatus.COMPLETE, watcher.value, watcher.epochs, errors=errors)
        free_memory()
        return TrialOutcome(TrialStatus.FAILED, None, watcher.epochs, message)


class PackedRunner:
    """Up to `capacity` trials of one shape (architecture, batch size, optimiser, seed) at once, as a
    torch.func population; each member is watched, reported and pruned on its own, and a slot freed
    by a finished, pruned or diverged member is refilled without stopping the others. `measure`:
    as SequentialRunner's."""

    def __init__(
        self, data: Data, metric: str, device: torch.device, capacity: int, measure: Sequence[str] = ()
    ) -> None:
        if not isinstance(data.train, TensorSplit):
            raise TypeError("packed trials need the training data in memory")
        self.data = data
        self.metric = metric
        self.device = device
        self.capacity = capacity
        self.measure = tuple(measure)
        self.train_split: TensorSplit = data.train

    def run(self, plans: Sequence[TrialPlan], monitor: Monitor) -> list[TrialOutcome]:
        outcomes: dict[int, TrialOutcome] = {}
        for start in range(0, len(plans), self.capacity):
            group = plans[start : start + self.capacity]
            self.train(group, monitor, lambda plan, outcome: outcomes.__setitem__(plan.number, outcome))
        return [outcomes[plan.number] for plan in plans]

    def train(
        self, plans: Sequence[TrialPlan], monitor: Monitor, finish: Finish, refill: Refill | None = None
    ) -> None:
        """Train `plans` (all of one shape_key) and any refills; call `finish` as each one ends."""
        key = shape_key(plans[0])
        template = build_model(plans[0].recipe, plans[0].seed, self.device, **plans[0].model_params)
        with user_code("the model's forward pass"):
            random = uses_randomness(template, single(self.train_split.x)[:2])
        population = Population(template, plans[0].recipe, self.train_split, random)
        watchers: list[tuple[TrialPlan, _Watcher]] = []
        for plan in plans:
            watchers.append(self._admit(population, plan, monitor))
        population.start()
        try:
            while len(population):
                ended = self._epoch(population, watchers, finish)
                population.remove(ended)
                watchers = [w for i, w in enumerate(watchers) if i not in ended]
                while refill and population.accepts_newcomers and len(population) < self.capacity:
                    newcomer = refill(key)
                    if newcomer is None:
                        break
                    watchers.append(self._admit(population, newcomer, monitor))
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            del population
            free_memory()
            self.one_by_one([plan for plan, _ in watchers], monitor, finish)

    def _admit(self, population: Population, plan: TrialPlan, monitor: Monitor) -> tuple[TrialPlan, _Watcher]:
        model = build_model(plan.recipe, plan.seed, self.device, **plan.model_params)
        watcher = _Watcher(plan.number, self.metric, monitor)
        watcher.start_loss = initial_loss(model, self.data, plan.recipe.task, plan.seed, INITIAL_SAMPLE)
        population.add(model, member_of(plan.recipe, plan.seed))
        return plan, watcher

    def _epoch(
        self, population: Population, watchers: list[tuple[TrialPlan, _Watcher]], finish: Finish
    ) -> list[int]:
        """Train every member one epoch, hand each its record; return the members that ended."""
        with user_code("training the model"):
            train_losses = population.train_epoch()
            errors, losses = population.evaluate(self.data.dev)
        ended: list[int] = []
        finals: dict[str, np.ndarray] | None = None  # measured once, when a first member completes
        for i, (plan, watcher) in enumerate(watchers):
            epoch = population.epochs[i]
            record = EpochRecord(
                epoch, float(train_losses[i]), math.nan, math.nan, float(errors[i]), float(losses[i]), 0.0
            )
            try:
                watcher(record, plan.recipe.epochs)
            except _Stop as stop:
                finish(plan, TrialOutcome(stop.status, None, watcher.epochs, stop.message))
                ended.append(i)
                continue
            if epoch >= plan.recipe.epochs:
                finals = finals if finals is not None else self._final_errors(population)
                measured = {name: float(values[i]) for name, values in finals.items()}
                finish(
                    plan, TrialOutcome(TrialStatus.COMPLETE, watcher.value, watcher.epochs, errors=measured)
                )
                ended.append(i)
        return ended

    def _final_errors(self, population: Population) -> dict[str, np.ndarray]:
        """Every member's error on each measured split (members that have not ended ignore theirs)."""
        splits = self.data.named()
        with user_code("evaluating the model"):
            return {name: population.evaluate(splits[name])[0] for name in self.measure}

    def one_by_one(self, plans: list[TrialPlan], monitor: Monitor, finish: Finish) -> None:
        """Train `plans` one at a time through the training engine: a population's members left when
        it ran out of memory, or a lone trial nothing can join."""
        sequential = SequentialRunner(self.data, self.metric, self.device, self.measure)
        for plan in plans:
            finish(plan, sequential.run([plan], monitor)[0])


def shape_key(plan: TrialPlan) -> tuple:
    """Trials with equal keys can share a population: one architecture, batch size, optimiser, seed."""
    recipe = plan.recipe
    return (
        recipe.batch_size,
        recipe.optimizer,
        recipe.epochs,
        plan.seed,
        tuple(sorted(plan.model_params.items())),
    )


class _Stop(Exception):
    """Raised from the epoch callback to end a trial early."""

    def __init__(self, status: TrialStatus, message: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.message = message


class _Watcher:
    """The per-epoch hook: stop a diverging trial at once, report the metric, obey the pruner."""

    def __init__(self, number: int, metric: str, monitor: Monitor) -> None:
        self.number = number
        self.metric = metric
        self.monitor = monitor
        self.start_loss = math.nan
        self.value: float | None = None
        self.epochs = 0

    def __call__(self, record: EpochRecord, total: int) -> None:
        self.epochs = record.epoch
        value = record.dev_error if self.metric == "dev_error" else record.dev_loss
        reason = diverged(record.train_loss, self.start_loss) or (
            None if math.isfinite(value) else f"dev {self.metric.removeprefix('dev_')} is not finite"
        )
        if reason:
            raise _Stop(TrialStatus.DIVERGED, f"{reason} at epoch {record.epoch}")
        self.value = value
        if self.monitor(self.number, record.epoch, value):
            raise _Stop(TrialStatus.PRUNED, f"pruned after epoch {record.epoch}")


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc`, or what it wraps (user-code errors keep the original), is a CUDA OOM."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, torch.cuda.OutOfMemoryError):
            return True
        seen.add(id(current))
        current = getattr(current, "original", None) or current.__cause__
    return False


def free_memory() -> None:
    """Give a failed trial's tensors back so the next trial starts with the device's memory free."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
