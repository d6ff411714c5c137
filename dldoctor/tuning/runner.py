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

import torch

from dldoctor.data import Data
from dldoctor.diagnosis.checks import EXPLOSION
from dldoctor.recipe import Recipe
from dldoctor.training import EpochRecord, build_model, fit, initial_loss

STATUSES = ("complete", "pruned", "diverged", "failed")
INITIAL_SAMPLE = 2048  # examples used to measure the loss at initialisation, the divergence yardstick

# (trial number, epoch, dev metric) -> True when the trial should stop now (pruned).
Monitor = Callable[[int, int, float], bool]


@dataclass(frozen=True)
class TrialPlan:
    """One trial to train: the recipe with the trial's optimiser settings, the model's keywords."""

    number: int
    recipe: Recipe
    model_params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended; `value` is the final dev metric of a complete trial."""

    status: str
    value: float | None = None
    epochs: int = 0
    message: str = ""


class TrialRunner(Protocol):
    """Trains up to `capacity` trials per call and returns one outcome per plan, in order."""

    capacity: int

    def run(self, plans: Sequence[TrialPlan], monitor: Monitor) -> list[TrialOutcome]: ...


class SequentialRunner:
    """One trial at a time through dldoctor's training engine, on data prepared once per worker."""

    capacity = 1

    def __init__(self, data: Data, metric: str, device: torch.device) -> None:
        self.data = data
        self.metric = metric
        self.device = device

    def run(self, plans: Sequence[TrialPlan], monitor: Monitor) -> list[TrialOutcome]:
        return [self._run_one(plan, monitor) for plan in plans]

    def _run_one(self, plan: TrialPlan, monitor: Monitor) -> TrialOutcome:
        watcher = _Watcher(plan.number, self.metric, monitor)
        try:
            model = build_model(plan.recipe, plan.seed, self.device, **plan.model_params)
            watcher.start_loss = initial_loss(model, self.data, plan.recipe.task, plan.seed, INITIAL_SAMPLE)
            fit(model, self.data, plan.recipe, seed=plan.seed, on_epoch=watcher)
        except _Stop as stop:
            return TrialOutcome(stop.status, None, watcher.epochs, stop.message)
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            message = f"out of memory at batch size {plan.recipe.batch_size}"
        else:
            return TrialOutcome("complete", watcher.value, watcher.epochs)
        free_memory()
        return TrialOutcome("failed", None, watcher.epochs, message)


class _Stop(Exception):
    """Raised from the epoch callback to end a trial early."""

    def __init__(self, status: str, message: str = "") -> None:
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
            raise _Stop("diverged", f"{reason} at epoch {record.epoch}")
        self.value = value
        if self.monitor(self.number, record.epoch, value):
            raise _Stop("pruned", f"pruned after epoch {record.epoch}")


def diverged(loss: float, start: float) -> str | None:
    """Why an epoch's training loss counts as diverged: non-finite, or blown far past its start."""
    if not math.isfinite(loss):
        return "training loss became non-finite"
    if math.isfinite(start) and start > 0 and loss > EXPLOSION * start:
        return f"training loss {loss:.3g} exploded past {EXPLOSION:g}× its initial {start:.3g}"
    return None


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
