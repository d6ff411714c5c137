"""`dd.monitor`: the diagnosis for a model trained in the user's own loop.

    with dd.monitor(model, optimizer, task="classification", epochs=E) as doc:
        for epoch in range(E):
            for x, y in loader:
                ...; optimizer.step(); doc.step(loss)
            doc.epoch(train=(x_tr, y_tr), train_dev=(x_td, y_td), dev=(x_dev, y_dev))
    report = doc.diagnose()

Gradient norms and update sizes are read on sampled steps by the engine's GradientMonitor, from hooks
on the optimiser's step: the pre-step hook sees the gradients (already unscaled when a GradScaler
steps the optimiser, since it unscales first), the post-step hook the update. Gradients are only
read. `doc.step(loss)` keeps the loss on the device: no host synchronisation until `doc.epoch`.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import torch
from torch import nn

from dldoctor import inputs
from dldoctor.data import TensorSplit, check_labels, prepare
from dldoctor.diagnosis import Policy, Setup
from dldoctor.doctor import DiagnoseOptions, TrainedRun, examine
from dldoctor.errors import UsageError
from dldoctor.gradients import SAMPLES, GradientMonitor
from dldoctor.inputs import Inputs, single
from dldoctor.optim import optimizer_classes
from dldoctor.posthoc import diagnose_predictions
from dldoctor.predictions import MemoryColumn, Predictions, SplitColumns
from dldoctor.recipe import TASKS, Recipe, Splits
from dldoctor.report import Report
from dldoctor.training import EpochRecord, History, SplitResult, check_output, evaluate, per_example

Pair = tuple[Inputs, torch.Tensor]  # (inputs or outputs, targets)


def monitor(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    task: str = "classification",
    *,
    epochs: int | None = None,
    samples: int = SAMPLES,
    name: str = "monitored run",
    seed: int = 0,
    bayes_error: float | None = None,
    target_error: float | None = None,
    confidence: float = 0.95,
    min_gap: float = Policy.min_gap,
    pre_step_hook: bool = True,
) -> Monitor:
    """Watch a training loop the user writes; `epochs` (when known) spreads the sampled steps evenly.

    `pre_step_hook=False` when forward and backward run inside `optimizer.step(closure)` (Lightning):
    the caller then calls `gradients_ready()` once the gradients exist, before the update.
    """
    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    options = DiagnoseOptions(
        seed=seed,
        bayes_error=bayes_error,
        target_error=target_error,
        confidence=confidence,
        min_gap=min_gap,
    ).validate()
    return Monitor(model, optimizer, task, options, name, epochs, samples, pre_step_hook)


@dataclass
class Monitor:
    """The context manager `monitor` returns; see the module docstring."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    task: str
    options: DiagnoseOptions
    name: str
    epochs: int | None
    samples: int
    pre_step_hook: bool = True
    steps: int = 0
    history: History = field(default_factory=lambda: History(initial_loss=math.nan))
    _splits: dict[str, Pair] = field(default_factory=dict)
    _outputs: bool = False
    _losses: list[torch.Tensor] = field(default_factory=list)  # this epoch's step losses, on the device
    _pending: torch.Tensor | None = None  # the sampled step's loss slot, filled by `step`
    _watched: bool = False
    _handles: list[Any] = field(default_factory=list)
    _initial: dict[str, torch.Tensor] = field(default_factory=dict)
    _epoch_started: float = 0.0
    _steps_per_epoch: int | None = None
    gradients: GradientMonitor = field(init=False)

    def __post_init__(self) -> None:
        self.gradients = GradientMonitor(self.model, 1 << 40, self.samples)  # step 1 only, until spaced
        self._initial = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def __enter__(self) -> Monitor:
        self.gradients.before_forward(1)  # learns the layers' order from the first forward pass
        self._handles = [self.optimizer.register_step_post_hook(lambda *_: self.updated())]
        if self.pre_step_hook:
            self._handles.append(self.optimizer.register_step_pre_hook(lambda *_: self.gradients_ready()))
        self._epoch_started = time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Remove every hook, whether the loop finished or raised."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self.gradients.remove_hooks()

    def gradients_ready(self) -> None:
        """Gradients exist and the update has not happened: read them on a sampled step."""
        step = self.steps + 1
        self._watched = self.gradients.wants(step)
        if self._watched:
            # The loss of this step arrives in `step(loss)`, after the optimiser: hand over its slot now.
            self._pending = torch.full((), math.nan, device=_device(self.model))
            self.gradients.after_backward(step, self._pending)

    def updated(self) -> None:
        """The optimiser has stepped."""
        self.steps += 1
        if self._watched:
            self.gradients.after_update(self.steps)
            self._watched = False

    def step(self, loss: torch.Tensor) -> None:
        """Record this step's training loss; cheap: it stays on the device."""
        detached = loss.detach().float().reshape(())
        self._losses.append(detached)
        if self._pending is not None:
            self._pending.copy_(detached)
            self._pending = None

    def epoch(
        self,
        *,
        train: Pair,
        train_dev: Pair,
        dev: Pair,
        test: Pair | None = None,
        outputs: bool = False,
    ) -> EpochRecord | None:
        """Measure the splits after an epoch: (x, y) pairs, or (outputs, y) with `outputs=True`.

        Called before any step, it measures the loss at initialisation instead (optional).
        """
        splits = {"train": train, "train_dev": train_dev, "dev": dev, "test": test}
        self._splits = {k: v for k, v in splits.items() if v is not None}
        self._outputs = outputs
        results = {name: self._measure(pair) for name, pair in self._splits.items()}
        if not self.steps and not self._losses:
            self.history.initial_loss = results["train"].loss
            return None
        return self._record(results)

    def diagnose(self) -> Report:
        """The same Report `dldoctor diagnose` writes, from the last `epoch`'s splits and the history."""
        if not self.history.epochs:
            raise UsageError(
                "call doc.epoch(train=..., train_dev=..., dev=...) after training, then diagnose"
            )
        started = time.perf_counter()
        if self._outputs:
            setup = self._setup(len(self._splits["train"][1]))
            return diagnose_predictions(
                self._predictions(), self.options, self.history, self.gradients.summary(), "monitor", setup
            )
        device = _device(self.model)
        recipe = self._recipe(self._splits)
        data = prepare(recipe.data(self.options.seed), self.task, device, self.options.seed)
        num_classes = check_output(self.model, data, self.task)
        if num_classes is not None:
            check_labels(data, num_classes)
        run = TrainedRun(
            recipe, self.options, device, data, self.model, num_classes, self.history, self.gradients
        )
        return examine(run, started, source="monitor")

    def _measure(self, pair: Pair) -> SplitResult:
        first, y = pair
        device = _device(self.model)
        if self._outputs:
            with torch.no_grad():
                loss, error = per_example(single(first).to(device), y.to(device), self.task)
            return SplitResult(loss.double().cpu().numpy(), error.double().cpu().numpy())
        return evaluate(self.model, TensorSplit("split", inputs.to(first, device), y.to(device)), self.task)

    def _record(self, results: dict[str, SplitResult]) -> EpochRecord:
        losses = torch.stack(self._losses).double().cpu().numpy() if self._losses else np.zeros(0)
        self._losses = []
        if self._steps_per_epoch is None:
            self._steps_per_epoch = max(1, len(losses))
            total = self._steps_per_epoch * (self.epochs or 10)
            self.gradients.every = max(1, total // self.samples)
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size and self.history.nonfinite_step is None:
            self.history.nonfinite_step = len(self.history.step_losses) + int(bad[0]) + 1
        self.history.step_losses.extend(losses.tolist())
        now = time.perf_counter()
        record = EpochRecord(
            epoch=len(self.history.epochs) + 1,
            train_loss=float(losses.mean()) if losses.size else math.nan,
            train_error=results["train"].error,
            train_dev_error=results["train_dev"].error,
            dev_error=results["dev"].error,
            dev_loss=results["dev"].loss,
            seconds=now - self._epoch_started,
        )
        self._epoch_started = now
        self.history.epochs.append(record)
        return record

    def _setup(self, n_train: int) -> Setup:
        """How the user's loop trains, read from the optimiser's first parameter group: lr, β (its
        momentum or first beta) and weight decay, each NaN (written as null: unknown) where the
        optimiser has no such setting."""
        group = self.optimizer.param_groups[0]
        beta = group["momentum"] if "momentum" in group else group.get("betas", (math.nan,))[0]
        return Setup(
            optimizer=type(self.optimizer).__name__.lower(),
            lr=_number(group.get("lr")),
            beta=_number(beta),
            batch_size=max(1, round(n_train / (self._steps_per_epoch or 1))),
            epochs=len(self.history.epochs),
            weight_decay=_number(group.get("weight_decay")),
            n_train=n_train,
        )

    def _recipe(self, pairs: dict[str, Pair]) -> Recipe:
        """The run as a recipe for the probes that retrain: a fresh model is this one at its first weights.
        An optimiser torch.optim does not name is replaced by Adam; a setting it lacks, by 0."""
        setup = self._setup(len(pairs["train"][1]))
        known = setup.optimizer in optimizer_classes()
        description = "" if known else f"{type(self.optimizer).__name__}: probes that retrain use Adam"
        return Recipe(
            name=self.name,
            model=self._fresh,
            data=lambda seed: Splits(**{k: (x, y) for k, (x, y) in pairs.items()}),
            task=self.task,
            bayes_error=self.options.bayes_error,
            target_error=self.options.target_error,
            optimizer=setup.optimizer if known else "adam",
            lr=setup.lr,
            beta=_or_zero(setup.beta),
            batch_size=setup.batch_size,
            epochs=setup.epochs,
            weight_decay=_or_zero(setup.weight_decay),
            description=description,
        ).validate()

    def _fresh(self) -> nn.Module:
        fresh = copy.deepcopy(self.model)
        fresh.load_state_dict(self._initial)
        return fresh

    def _predictions(self) -> Predictions:
        splits = {
            name: SplitColumns(
                y.cpu().numpy(), MemoryColumn(f"{name}_outputs", single(out).detach().cpu().numpy())
            )
            for name, (out, y) in self._splits.items()
        }
        return Predictions(self.name, self.task, splits, steps_per_epoch=self._steps_per_epoch)


def _number(value: Any) -> float:
    """A setting as a float; NaN (unknown) when the optimiser has none or it is not a number (a
    tensor lr is read as its value)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device
