"""The training engine: build the user's model, train it as the recipe says, measure it.

Hot loop rules: no host synchronisation per step (step losses go into a device buffer read once per
epoch), in-memory batches gathered by index on the device, no DataLoader for tensors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from dldoctor import optim, threads
from dldoctor import task as tasks
from dldoctor.data import Data, Split, TensorSplit, check_labels, prepare, training_steps
from dldoctor.diagnosis.evidence import EpochRecord
from dldoctor.errors import ModelError, UsageError, user_code
from dldoctor.inputs import Inputs, forward
from dldoctor.recipe import Recipe
from dldoctor.task import LossFn

EVAL_BATCH = 1024


@dataclass
class History:
    """The whole training run, as the diagnosis needs it."""

    initial_loss: float
    epochs: list[EpochRecord] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    nonfinite_step: int | None = None
    nonfinite_update: int | None = (
        None  # the optimiser step of nonfinite_step (they differ when accumulating)
    )
    lrs: list[float] = field(default_factory=list)  # the learning rate of each optimiser step
    grad_norms: list[float] = field(default_factory=list)  # total norm before clipping (clip or fp16 only)
    best_epoch: int | None = None  # early stopping: the epoch whose weights were kept
    initial_task_loss: float | None = None  # the task's own loss at initialisation, with a custom loss


@dataclass(frozen=True)
class SplitResult:
    """Per-example loss and error (the task's: see dldoctor.task) on one split; `also` holds the
    task's other per-example errors (multilabel: exact match)."""

    losses: np.ndarray
    errors: np.ndarray
    also: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def loss(self) -> float:
        return float(self.losses.mean())

    @property
    def error(self) -> float:
        return float(self.errors.mean())


EpochCallback = Callable[[EpochRecord, int], None]


def resolve_device(name: str | None) -> torch.device:
    """The device to train on: the one asked for, else CUDA when present, else the CPU."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise UsageError(f"unknown device {name!r}: use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"--device {name}: MPS is not available on this machine; use --device cpu")
    return device


def per_example(
    out: torch.Tensor, y: torch.Tensor, task: str, loss: LossFn | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, error) per example: the recipe's loss (else the task's) and the task's error — a
    custom loss never changes the metric."""
    return tasks.get(task).per_example(out, y, loss)


def batch_loss(out: torch.Tensor, y: torch.Tensor, task: str, loss: LossFn | None = None) -> torch.Tensor:
    """The mean training loss of a batch, through torch's fused reductions for the task's own loss."""
    return tasks.get(task).batch_loss(out, y, loss)


def build_model(recipe: Recipe, seed: int, device: torch.device, **params: object) -> nn.Module:
    """Call the recipe's model factory under a fixed seed, so initial weights are reproducible."""
    torch.manual_seed(seed)
    with user_code("the recipe's model factory"):
        model = recipe.model(**params)
    if not isinstance(model, nn.Module):
        raise ModelError(f"the model factory returned a {type(model).__name__}, not a torch.nn.Module")
    return model.to(device)


def check_output(model: nn.Module, data: Data, task: str) -> int | None:
    """Run two training examples through the model; return the class count it implies."""
    x, y = data.train.sample(2, 0)
    model.eval()
    with torch.no_grad(), user_code("the model's forward pass"):
        out = forward(model, x)
    model.train()
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"the model returned a {type(out).__name__}; it must return a tensor")
    return tasks.get(task).check_output(out, y)


def prepare_run(recipe: Recipe, seed: int, device: torch.device) -> tuple[Data, nn.Module, int | None]:
    """The recipe's data on the device and a freshly built model, checked against each other;
    returns the class count the model's output implies (None for regression and multilabel)."""
    with user_code("the recipe's data factory"):
        splits = recipe.data(seed)
    data = prepare(splits, recipe.task, device, seed)
    model = build_model(recipe, seed, device)
    threads.fit(model)
    num_classes = check_output(model, data, recipe.task)
    check_labels(data, num_classes)
    return data, model, num_classes


def make_optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    """The recipe's optimiser over the model's trainable parameters (see dldoctor.optim)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ModelError("the model has no trainable parameters")
    return optim.build_optimizer(
        recipe.optimizer, recipe.optimizer_kwargs, params, recipe.lr, recipe.beta, recipe.weight_decay
    )


def optimizer_steps(n: int, batch_size: int, accumulate: int) -> int:
    """Optimiser steps per epoch: one per `accumulate` batches, the last group possibly shorter."""
    return -(-training_steps(n, batch_size) // accumulate)


def check_precision(precision: str, device: torch.device) -> None:
    """bf16/fp16 autocast runs on CUDA and on CPUs whose torch supports it; say so before training."""
    if precision == "fp32":
        return
    dtype = PRECISION_DTYPES[precision]
    if not torch.amp.is_autocast_available(device.type):
        raise UsageError(f"precision={precision!r}: torch has no autocast on {device.type}; use fp32")
    try:
        with torch.autocast(device.type, dtype=dtype):
            torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)
    except RuntimeError as exc:
        raise UsageError(f"precision={precision!r} does not run on {device.type} ({exc}); use fp32") from None


PRECISION_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Stepper:
    """One optimiser step the way the recipe takes it: autocast, the recipe's loss, gradient
    accumulation, a grad scaler for fp16, clipping. Shared by training, the range test and the
    one-batch check so that each measures the user's own step.

    Between `unscale()` and `update()` the gradients are the true ones: unscaled and not yet clipped.
    """

    def __init__(self, recipe: Recipe, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer, self.task, self.loss_fn = optimizer, tasks.get(recipe.task), recipe.loss
        self.clip = recipe.grad_clip
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        device = self.params[0].device
        self.dtype = PRECISION_DTYPES.get(recipe.precision)
        self.device_type = device.type
        self.scaler = torch.amp.GradScaler(device.type) if recipe.precision == "fp16" else None
        self.measures_norm = self.clip is not None or self.scaler is not None

    def loss(self, model: nn.Module, x: Inputs, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs, mean loss) of one batch, under the recipe's precision."""
        if self.dtype is None:
            out = forward(model, x)
            return out, self.task.batch_loss(out, y, self.loss_fn)
        with torch.autocast(self.device_type, dtype=self.dtype):
            out = forward(model, x)
            return out, self.task.batch_loss(out.float(), y, self.loss_fn)

    def zero_grad(self) -> None:
        for p in self.params:  # what zero_grad(set_to_none=True) does, minus its profiler hooks
            p.grad = None

    def backward(self, loss: torch.Tensor, share: int = 1) -> None:
        """Backpropagate one micro-batch, worth 1/`share` of the optimiser step."""
        scaled = loss if share == 1 else loss / share
        (scaled if self.scaler is None else self.scaler.scale(scaled)).backward()

    def unscale(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)

    def update(self) -> torch.Tensor | None:
        """Clip and step; returns the total gradient norm before clipping when clipping or fp16
        (a non-finite norm is a step the grad scaler skipped), else None."""
        norm = None
        if self.clip is not None:
            norm = nn.utils.clip_grad_norm_(self.params, self.clip)
        elif self.scaler is not None:
            norm = nn.utils.get_total_norm([p.grad for p in self.params if p.grad is not None])
        if self.scaler is None:
            self.optimizer.step()
        else:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        return norm


def finite_weights(model: nn.Module) -> bool:
    """Whether every parameter is finite: probes that read a diverged model skip it instead."""
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


@torch.no_grad()
def evaluate(
    model: nn.Module, split: Split, task: str, batch_size: int = EVAL_BATCH, loss: LossFn | None = None
) -> SplitResult:
    """Per-example loss (the recipe's `loss`, else the task's) and error of the model in eval mode, fp32."""
    was_training = model.training
    kind = tasks.get(task)
    model.eval()
    losses, errors, also = [], [], []
    with user_code(f"evaluating the model on '{split.name}'"):
        for x, y in split.batches(batch_size):
            out = forward(model, x)
            value, error = kind.per_example(out, y, loss)
            losses.append(value)
            errors.append(error)
            also.append(kind.also(out, y))
    model.train(was_training)
    return SplitResult(
        _numpy(losses), _numpy(errors), {k: _numpy([a[k] for a in also]) for k in (also[0] if also else {})}
    )


def _numpy(parts: list[torch.Tensor]) -> np.ndarray:
    return torch.cat(parts).double().cpu().numpy()


def initial_loss(
    model: nn.Module, data: Data, task: str, seed: int, limit: int = 10_000, loss: LossFn | None = None
) -> float:
    """Mean training loss before any step, on up to `limit` training examples."""
    x, y = data.train.sample(limit, seed)
    return evaluate(model, TensorSplit("train", x, y), task, loss=loss).loss


class StepMonitor(Protocol):
    """Looks at chosen training steps (counted from 1 over the whole run) and leaves the rest alone.

    On a step it `wants`, the engine calls `before_forward`, then `after_backward` once the
    gradients exist, then `after_update` once the optimiser has stepped. Setting `finished` stops
    training after that step.
    """

    finished: bool

    def wants(self, step: int) -> bool: ...

    def before_forward(self, step: int) -> None: ...

    def after_backward(self, step: int, loss: torch.Tensor) -> None: ...

    def after_update(self, step: int) -> None: ...


def fit(
    model: nn.Module,
    data: Data,
    recipe: Recipe,
    *,
    seed: int,
    epochs: int | None = None,
    on_epoch: EpochCallback | None = None,
    monitor: StepMonitor | None = None,
    train_dev: bool = True,
) -> History:
    """Train `model` in place as the recipe says; stop after an epoch with a non-finite loss, or when
    early stopping runs out of patience (the best epoch's weights are then restored). `train_dev`
    False skips that split's evaluation (its error is then NaN): a tuning trial only reads dev.

    A monitor's steps are optimiser steps: with `accumulate` > 1 it sees the last micro-batch of each.
    """
    total = epochs or recipe.epochs
    device = next(model.parameters()).device
    check_precision(recipe.precision, device)
    optimizer = make_optimizer(recipe, model)
    updates = optimizer_steps(len(data.train), recipe.batch_size, recipe.accumulate)
    schedule = optim.build_scheduler(recipe.scheduler, optimizer, total * updates, recipe.lr)
    stepper = Stepper(recipe, model, optimizer)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout and the like: the same run whatever ran before it
    history = History(initial_loss=initial_loss(model, data, recipe.task, seed, loss=recipe.loss))
    if recipe.loss is not None:
        history.initial_task_loss = initial_loss(model, data, recipe.task, seed)
    steps = training_steps(len(data.train), recipe.batch_size)
    stopper = _EarlyStopping(recipe.early_stopping, model) if recipe.early_stopping else None
    for epoch in range(1, total + 1):
        started = time.perf_counter()
        epoch_run = _Epoch(
            model, stepper, schedule, data.train, recipe, steps, (epoch - 1) * updates, monitor
        )
        with user_code("training the model"):
            step_losses, train_error = epoch_run.run(generator, history)
        train_dev_error = (
            evaluate(model, data.train_dev, recipe.task, loss=recipe.loss).error if train_dev else math.nan
        )
        dev = evaluate(model, data.dev, recipe.task, loss=recipe.loss)
        record = EpochRecord(
            epoch=epoch,
            train_loss=float(step_losses.mean()),
            train_error=train_error,
            train_dev_error=train_dev_error,
            dev_error=dev.error,
            dev_loss=dev.loss,
            seconds=time.perf_counter() - started,
        )
        history.epochs.append(record)
        history.step_losses.extend(step_losses.tolist())
        if on_epoch is not None:
            on_epoch(record, total)
        bad = np.flatnonzero(~np.isfinite(step_losses))
        if bad.size:
            history.nonfinite_step = (epoch - 1) * steps + int(bad[0]) + 1
            history.nonfinite_update = (epoch - 1) * updates + int(bad[0]) // recipe.accumulate + 1
        if bad.size or (monitor is not None and monitor.finished):
            break
        if stopper is not None and stopper.stop(epoch, dev.loss):
            break
    if stopper is not None:
        history.best_epoch = stopper.restore()
    return history


class _EarlyStopping:
    """Patience on dev loss: remember the best epoch's weights, give them back at the end."""

    def __init__(self, patience: int, model: nn.Module) -> None:
        self.patience, self.model = patience, model
        self.best_loss, self.best_epoch = math.inf, 0
        self.best_state: dict[str, torch.Tensor] = {}

    def stop(self, epoch: int, dev_loss: float) -> bool:
        if dev_loss < self.best_loss:
            self.best_loss, self.best_epoch = dev_loss, epoch
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return epoch - self.best_epoch >= self.patience

    def restore(self) -> int | None:
        """Load the best epoch's weights; None when no epoch had a finite dev loss."""
        if not self.best_state:
            return None
        self.model.load_state_dict(self.best_state)
        return self.best_epoch


@dataclass
class _Epoch:
    """One pass over the training set; the hot loop, kept free of host synchronisation."""

    model: nn.Module
    stepper: Stepper
    schedule: Any
    train: Split
    recipe: Recipe
    steps: int
    offset: int  # optimiser steps taken in earlier epochs
    monitor: StepMonitor | None

    def run(self, generator: torch.Generator, history: History) -> tuple[np.ndarray, float]:
        model, monitor, task, stepper = self.model, self.monitor, tasks.get(self.recipe.task), self.stepper
        group = self.recipe.accumulate
        model.train()
        device = stepper.params[0].device
        losses = torch.zeros(self.steps, device=device)
        norms = torch.zeros(-(-self.steps // group), device=device) if stepper.measures_norm else None
        wrong = torch.zeros((), device=device)
        batches = self.train.batches(self.recipe.batch_size, generator, shuffle=self.recipe.shuffle)
        taken = updates = 0
        for taken, (x, y) in enumerate(batches, start=1):
            first = (taken - 1) % group == 0
            last = taken % group == 0 or taken == self.steps
            step = self.offset + updates + 1
            watched = monitor if last and monitor is not None and monitor.wants(step) else None
            if watched is not None:
                watched.before_forward(step)
            out, loss = stepper.loss(model, x, y)
            if first:
                stepper.zero_grad()
            stepper.backward(loss, min(group, self.steps - (taken - 1) // group * group))
            losses[taken - 1] = loss.detach()
            wrong += task.error(out.detach().float(), y).sum()
            if not last:
                continue
            stepper.unscale()
            if watched is not None:
                watched.after_backward(step, loss)
            history.lrs.append(float(stepper.optimizer.param_groups[0]["lr"]))
            norm = stepper.update()
            if norms is not None and norm is not None:
                norms[updates] = norm
            if self.schedule is not None:
                self.schedule.step()
            updates += 1
            if watched is not None:
                watched.after_update(step)
                if watched.finished:
                    break
        if norms is not None:
            history.grad_norms.extend(norms[:updates].cpu().double().tolist())
        step_losses = losses[:taken].cpu().numpy().astype(np.float64)
        seen = min(taken * self.recipe.batch_size, len(self.train))
        error = float(wrong) / seen
        return step_losses, error
