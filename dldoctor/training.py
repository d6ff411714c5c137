"""The training engine: build the user's model, train it as the recipe says, measure it.

Hot loop rules: no host synchronisation per step (step losses go into a device buffer read once per
epoch), in-memory batches gathered by index on the device, no DataLoader for tensors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dldoctor import threads
from dldoctor.data import Data, Split, TensorSplit, check_labels, prepare, training_steps
from dldoctor.errors import ModelError, UsageError, user_code
from dldoctor.recipe import Recipe

EVAL_BATCH = 1024


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did. `train_loss`/`train_error` are running means in training mode."""

    epoch: int
    train_loss: float
    train_error: float
    train_dev_error: float
    dev_error: float
    dev_loss: float
    seconds: float


@dataclass
class History:
    """The whole training run, as the diagnosis needs it."""

    initial_loss: float
    epochs: list[EpochRecord] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    nonfinite_step: int | None = None


@dataclass(frozen=True)
class SplitResult:
    """Per-example loss and error (0/1 misclassification, or squared error) on one split."""

    losses: np.ndarray
    errors: np.ndarray

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


def per_example(out: torch.Tensor, y: torch.Tensor, task: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, error) per example: cross-entropy and misclassification, or squared error twice."""
    if task == "classification":
        return F.cross_entropy(out, y, reduction="none"), (out.argmax(dim=1) != y).float()
    squared = (out.reshape(y.shape) - y).square()
    squared = squared.reshape(squared.shape[0], -1).mean(dim=1)
    return squared, squared


def batch_loss(out: torch.Tensor, y: torch.Tensor, task: str) -> torch.Tensor:
    """The mean training loss of a batch, through torch's fused reductions."""
    if task == "classification":
        return F.cross_entropy(out, y)
    return F.mse_loss(out.reshape(y.shape), y)


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
        out = model(x)
    model.train()
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"the model returned a {type(out).__name__}; it must return a tensor")
    shape = tuple(out.shape)
    if task == "classification":
        if out.dim() != 2 or shape[0] != len(x) or shape[1] < 2:
            raise ModelError(
                f"for classification the model must output (batch, classes) logits with at least"
                f" 2 classes; for a batch of {len(x)} it returned shape {shape}"
            )
        return shape[1]
    if out.numel() != y.numel() or shape[0] != len(x):
        raise ModelError(
            f"for regression the model's output must match the targets: for targets of shape"
            f" {tuple(y.shape)} it returned shape {shape}"
        )
    return None


def prepare_run(recipe: Recipe, seed: int, device: torch.device) -> tuple[Data, nn.Module, int | None]:
    """The recipe's data on the device and a freshly built model, checked against each other;
    returns the class count the model's output implies (None for regression)."""
    with user_code("the recipe's data factory"):
        splits = recipe.data(seed)
    data = prepare(splits, recipe.task, device, seed)
    model = build_model(recipe, seed, device)
    threads.fit(model)
    num_classes = check_output(model, data, recipe.task)
    if num_classes is not None:
        check_labels(data, num_classes)
    return data, model, num_classes


def make_optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    """The recipe's optimiser, fused into one kernel where torch supports it (about 2.5× faster
    steps on CPU than the per-tensor default). beta is SGD's momentum or Adam's beta1."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ModelError("the model has no trainable parameters")
    try:
        return _optimizer(recipe, params, fused=True)
    except (RuntimeError, ValueError):
        return _optimizer(recipe, params, fused=None)


def _optimizer(recipe: Recipe, params: list, fused: bool | None) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=recipe.lr,
            momentum=recipe.beta,
            weight_decay=recipe.weight_decay,
            fused=fused,
        )
    adam = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
    return adam(
        params,
        lr=recipe.lr,
        betas=(recipe.beta, 0.999),
        weight_decay=recipe.weight_decay,
        fused=fused,
    )


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, task: str, batch_size: int = EVAL_BATCH) -> SplitResult:
    """Per-example loss and error of the model in eval mode."""
    was_training = model.training
    model.eval()
    losses, errors = [], []
    with user_code(f"evaluating the model on '{split.name}'"):
        for x, y in split.batches(batch_size):
            loss, error = per_example(model(x), y, task)
            losses.append(loss)
            errors.append(error)
    model.train(was_training)
    return SplitResult(torch.cat(losses).double().cpu().numpy(), torch.cat(errors).double().cpu().numpy())


def initial_loss(model: nn.Module, data: Data, task: str, seed: int, limit: int = 10_000) -> float:
    """Mean training loss before any step, on up to `limit` training examples."""
    x, y = data.train.sample(limit, seed)
    return evaluate(model, TensorSplit("train", x, y), task).loss


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
) -> History:
    """Train `model` in place with the recipe's optimiser; stop after an epoch with a non-finite loss."""
    total = epochs or recipe.epochs
    optimizer = make_optimizer(recipe, model)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout and the like: the same run whatever ran before it
    history = History(initial_loss=initial_loss(model, data, recipe.task, seed))
    steps = training_steps(len(data.train), recipe.batch_size)
    for epoch in range(1, total + 1):
        started = time.perf_counter()
        epoch_run = _Epoch(model, optimizer, data.train, recipe, steps, (epoch - 1) * steps, monitor)
        with user_code("training the model"):
            step_losses, train_error = epoch_run.run(generator)
        train_dev = evaluate(model, data.train_dev, recipe.task)
        dev = evaluate(model, data.dev, recipe.task)
        record = EpochRecord(
            epoch=epoch,
            train_loss=float(step_losses.mean()),
            train_error=train_error,
            train_dev_error=train_dev.error,
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
        if bad.size or (monitor is not None and monitor.finished):
            break
    return history


@dataclass
class _Epoch:
    """One pass over the training set; the hot loop, kept free of host synchronisation."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    train: Split
    recipe: Recipe
    steps: int
    offset: int  # steps taken in earlier epochs
    monitor: StepMonitor | None

    def run(self, generator: torch.Generator) -> tuple[np.ndarray, float]:
        model, monitor, task = self.model, self.monitor, self.recipe.task
        model.train()
        device = next(model.parameters()).device
        losses = torch.zeros(self.steps, device=device)
        wrong = torch.zeros((), device=device, dtype=torch.long)
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        taken = 0
        for taken, (x, y) in enumerate(self.train.batches(self.recipe.batch_size, generator), start=1):
            step = self.offset + taken
            watched = monitor is not None and monitor.wants(step)
            if watched:
                monitor.before_forward(step)
            out = model(x)
            loss = batch_loss(out, y, task)
            for p in params:  # what zero_grad(set_to_none=True) does, minus its profiler hooks
                p.grad = None
            loss.backward()
            if watched:
                monitor.after_backward(step, loss)
            self.optimizer.step()
            losses[taken - 1] = loss.detach()
            if task == "classification":
                wrong += (out.detach().argmax(dim=1) != y).sum()
            if watched:
                monitor.after_update(step)
                if monitor.finished:
                    break
        step_losses = losses[:taken].cpu().numpy().astype(np.float64)
        seen = min(taken * self.recipe.batch_size, len(self.train))
        error = int(wrong) / seen if task == "classification" else float(step_losses.mean())
        return step_losses, error
