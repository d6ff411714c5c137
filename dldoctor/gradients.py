"""Gradient and activation health, sampled cheaply during and after training.

A monitor looks at a few dozen evenly spaced steps: per-layer gradient norms (first vs last layer:
vanishing or exploding gradients) and the size of each update relative to its weights (learning
rate too small or too large). After training, one forward pass over a batch of training examples
counts ReLU units that never fire and sigmoid/tanh inputs stuck in the flat tails. When the loss
went non-finite, a seeded replay finds the step and the layer where it first happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import torch
from torch import nn

from dldoctor.diagnosis.evidence import GradientHealth, LayerHealth
from dldoctor.inputs import Inputs, forward

SAMPLES = 48  # training steps the monitor looks at
ACTIVATION_EXAMPLES = 1024  # training examples in the end-of-training activation pass
FLAT_TAIL = {nn.Sigmoid: 5.0, nn.Tanh: 2.5}  # |input| beyond which the derivative is below ~0.007
DYING = (nn.ReLU, nn.ReLU6)
BLOW_UP = 2.0  # a sampled loss this many times the first one: the run has left its healthy phase
MIN_CLIP_SAMPLES = 5


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules that own a trainable weight matrix or kernel (Linear, Conv, Embedding, ...)."""
    return [
        (name or type(m).__name__, m)
        for name, m in model.named_modules()
        if isinstance(getattr(m, "weight", None), nn.Parameter)
        and m.weight.requires_grad
        and m.weight.dim() >= 2
    ]


def _weight(module: nn.Module) -> torch.Tensor:
    """A weighted layer's weight (weighted_layers kept only modules whose weight is a Parameter)."""
    return cast(torch.Tensor, module.weight)


class GradientMonitor:
    """A StepMonitor that records gradient norms and update ratios on evenly spaced steps."""

    def __init__(self, model: nn.Module, total_steps: int, samples: int = SAMPLES) -> None:
        self.layers = weighted_layers(model)
        self.every = max(1, total_steps // samples)
        self.order: list[int] = []  # layer indices in the order the forward pass runs them
        self.finished = False
        self._norms: list[torch.Tensor] = []
        self._ratios: list[torch.Tensor] = []
        self._losses: list[torch.Tensor] = []
        self._before: list[torch.Tensor] = []
        self._hooks: list = []

    def wants(self, step: int) -> bool:
        return bool(self.layers) and (step - 1) % self.every == 0

    def before_forward(self, step: int) -> None:
        if not self.order:
            self._hooks = [
                m.register_forward_pre_hook(self._recorder(i)) for i, (_, m) in enumerate(self.layers)
            ]

    def after_backward(self, step: int, loss: torch.Tensor) -> None:
        self.remove_hooks()
        weights = [_weight(m) for _, m in self.layers]
        self._norms.append(torch.stack([_grad_norm(w) for w in weights]))
        self._losses.append(loss.detach().float())
        self._before = [w.detach().clone() for w in weights]

    def remove_hooks(self) -> None:
        """Take off the layer-order hooks (after the first sampled step, or when the run ends early)."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def after_update(self, step: int) -> None:
        ratios = [
            _norm(_weight(m).detach() - old) / _norm(old).clamp_min(1e-12)
            for (_, m), old in zip(self.layers, self._before, strict=True)
        ]
        self._ratios.append(torch.stack(ratios))
        self._before = []

    def summary(self, activations: tuple[float | None, float | None] = (None, None)) -> GradientHealth:
        if not self._norms:
            return GradientHealth(0, None, None, *activations)
        norms = torch.stack(self._norms).double().cpu()
        ratios = torch.stack(self._ratios).double().cpu()
        order = self.order or list(range(len(self.layers)))
        first, last = norms[:, order[0]], norms[:, order[-1]]
        usable = (last > 0) & torch.isfinite(first) & torch.isfinite(last)
        ratio = float((first[usable] / last[usable]).median()) if bool(usable.any()) else None
        layers = tuple(
            LayerHealth(self.layers[i][0], float(norms[:, i].median()), float(ratios[:, i].median()))
            for i in order
        )
        update = float(ratios.median(dim=0).values.max())
        return GradientHealth(
            len(self._norms),
            ratio,
            update if math.isfinite(update) else None,
            *activations,
            layers=layers,
            clip_norm=self._clip_norm(norms),
        )

    def _clip_norm(self, norms: torch.Tensor) -> float | None:
        """90th percentile of the total gradient norm over the sampled steps before any blow-up.

        Steps after the loss first doubled describe a broken run (often dead units with zero
        gradients), not the spikes that clipping should trim.
        """
        losses = torch.stack(self._losses).double().cpu()
        blown = ~torch.isfinite(losses) | (losses > BLOW_UP * losses[0])
        cut = int(blown.nonzero()[0]) if bool(blown.any()) else len(losses)
        totals = norms[:cut].square().sum(dim=1).sqrt()
        totals = totals[torch.isfinite(totals) & (totals > 0)]
        return float(totals.quantile(0.9)) if len(totals) >= MIN_CLIP_SAMPLES else None

    def _recorder(self, index: int) -> Callable:
        def record(module: nn.Module, args: object) -> None:
            if index not in self.order:
                self.order.append(index)

        return record


@torch.no_grad()
def activation_health(model: nn.Module, x: Inputs) -> tuple[float | None, float | None]:
    """(share of dead ReLU units, share of saturated sigmoid/tanh inputs) on one batch, eval mode."""
    dead: list[tuple[int, int]] = []  # (silent units, units) per ReLU module
    tails: list[tuple[int, int]] = []  # (inputs in the tails, inputs) per sigmoid/tanh module

    def relu_hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        axis = out.dim() - 1 if out.dim() <= 3 else 1  # features (N, F) / (N, L, F); channels (N, C, ...)
        active = (out > 0).transpose(0, axis).reshape(out.shape[axis], -1).any(dim=1)
        dead.append((int((~active).sum()), active.numel()))

    def tail_hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        bound = next(v for k, v in FLAT_TAIL.items() if isinstance(module, k))
        inputs = args[0]
        tails.append((int((inputs.abs() > bound).sum()), inputs.numel()))

    hooks = [
        m.register_forward_hook(relu_hook if isinstance(m, DYING) else tail_hook)
        for m in model.modules()
        if isinstance(m, (*DYING, *FLAT_TAIL))
    ]
    was_training = model.training
    model.eval()
    try:
        forward(model, x)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return _share(dead), _share(tails)


class NonFiniteLocator:
    """A StepMonitor for a seeded replay: watch the steps around the first non-finite loss and
    name the first layer whose output or gradient stopped being finite."""

    def __init__(self, model: nn.Module, step: int) -> None:
        self.model, self.step, self.finished = model, step, False
        self.origin: str | None = None
        self._hooks: list = []

    def wants(self, step: int) -> bool:
        return step in (self.step - 1, self.step) and self.origin is None

    def before_forward(self, step: int) -> None:
        def check(module: nn.Module, args: tuple, out: object) -> None:
            if self.origin is None and isinstance(out, torch.Tensor) and not bool(torch.isfinite(out).all()):
                self.origin = (
                    f"the output of layer '{names[module]}' ({type(module).__name__}) at step {step}"
                )

        names = {m: n for n, m in self.model.named_modules() if n}
        self._hooks = [m.register_forward_hook(check) for m in names]

    def after_backward(self, step: int, loss: torch.Tensor) -> None:
        for hook in self._hooks:
            hook.remove()
        if self.origin is None and not bool(torch.isfinite(loss)):
            self.origin = f"the loss at step {step} (every layer's output was finite)"
        for name, p in reversed(list(self.model.named_parameters())):
            if self.origin is None and p.grad is not None and not bool(torch.isfinite(p.grad).all()):
                self.origin = f"the gradient of '{name}' at step {step}"

    def after_update(self, step: int) -> None:
        self.finished = step >= self.step or self.origin is not None


def _norm(t: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(t.detach().float())


def _grad_norm(weight: torch.Tensor) -> torch.Tensor:
    """An unused layer has no gradient: count it as zero."""
    return torch.zeros((), device=weight.device) if weight.grad is None else _norm(weight.grad)


def _share(counts: list[tuple[int, int]]) -> float | None:
    total = sum(n for _, n in counts)
    return sum(k for k, _ in counts) / total if total else None
