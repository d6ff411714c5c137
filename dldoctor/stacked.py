"""A population's training step written out by hand for the common model: a stack of Linear layers
and elementwise activations (nn.Sequential of Linear, ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Dropout,
Flatten, Identity).

On a CPU, vmap over functional_call and autograd spend most of a small population's step on dispatch,
batching rules and fresh allocations (each a round of page faults) rather than arithmetic. This
kernel runs each layer for all members as one batched matrix product (the first layer reads the
members' shared batch without copying it), takes activations in place, writes every step into the
same buffers, and computes the backward pass with the aten derivative kernels autograd would call,
so a member computes what it would compute alone. Only the loss's gradient goes through autograd (a
tiny tensor, and any task's loss). A model this cannot express exactly gets None from
`stacked_kernel`, and the population keeps vmap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

aten = torch.ops.aten
# A tensor with a flag: True when it holds one copy per member (members, batch, ...), False when it
# is the batch every member shares (batch, ...), as the input is before the first Linear layer.
Flow = tuple[torch.Tensor, bool]
Params = dict[str, torch.Tensor]
SMALL_OUTPUT = 32  # below this many outputs a layer is computed transposed (a class head: 3× faster)


@dataclass
class _Pass:
    """One forward (and backward) pass: whether training, what each layer saved for its backward,
    and where results go: `kept` buffers reused from call to call (a fresh tensor each step is a
    fresh round of page faults), or, without it, new tensors."""

    training: bool
    kept: dict[tuple, torch.Tensor] | None
    saved: list[object] = field(default_factory=list)
    layer: int = 0

    def buffer(self, role: str, shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
        if self.kept is None:
            return torch.empty(shape, dtype=like.dtype, device=like.device)
        key = (self.layer, role, tuple(shape), like.dtype)
        if key not in self.kept:
            self.kept[key] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return self.kept[key]


class _Op:
    """One layer of the stack: its forward pass (saving what its backward needs) and backward."""

    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        raise NotImplementedError

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class _Linear(_Op):
    weight: str
    bias: str | None

    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        x, stacked = flow
        w = params[self.weight]
        members, outputs = w.shape[:2]
        x = x if stacked else x.expand(members, *x.shape)  # the shared batch, never copied
        run.saved.append(x)
        if outputs < SMALL_OUTPUT:  # as (W xᵀ)ᵀ
            out = run.buffer("out", (members, outputs, x.shape[1]), x)
            bias = None if self.bias is None else params[self.bias].unsqueeze(2)
            return _product(bias, w, x.transpose(1, 2), out).transpose(1, 2), True
        out = run.buffer("out", (members, x.shape[1], outputs), x)
        bias = None if self.bias is None else params[self.bias].unsqueeze(1)
        return _product(bias, x, w.transpose(1, 2), out), True

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        self.gradients(grad, run, grads)
        w = params[self.weight]
        return torch.bmm(grad, w, out=run.buffer("input", (w.shape[0], grad.shape[1], w.shape[2]), w))

    def gradients(self, grad: torch.Tensor, run: _Pass, grads: Params) -> None:
        """The weight's and bias's gradients alone: all the first layer needs."""
        x = run.saved[run.layer]
        assert isinstance(x, torch.Tensor)
        shape = (x.shape[0], grad.shape[2], x.shape[2])
        grads[self.weight] = torch.bmm(grad.transpose(1, 2), x, out=run.buffer("weight", shape, x))
        if self.bias is not None:
            grads[self.bias] = torch.sum(grad, dim=1, out=run.buffer("bias", shape[:2], x))


def _product(bias: torch.Tensor | None, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.bmm(a, b, out=out) if bias is None else torch.baddbmm(bias, a, b, out=out)


@dataclass(frozen=True)
class _Elementwise(_Op):
    """An activation and autograd's own derivative kernel for it, which reads the activation's
    output (`from_output`: then the activation overwrites a Linear layer's fresh output) or its input."""

    apply: Callable[..., torch.Tensor]  # (x, out=...)
    derivative: Callable[..., torch.Tensor]  # (grad, saved, grad_input=...)
    from_output: bool

    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        x, stacked = flow
        in_place = self.from_output and stacked and not _kept(x, run.saved)
        out = self.apply(x, out=x if in_place else run.buffer("out", x.shape, x))
        run.saved.append(out if self.from_output else x)
        return out, stacked

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        return self.derivative(grad, run.saved[run.layer], grad_input=grad)  # the gradient is ours


@dataclass(frozen=True)
class _Dropout(_Op):
    """The mask a lone run draws (fit seeds the global generator), shared by every member as vmap's
    randomness="same" shares it: the same `bernoulli_` on a tensor of one member's shape."""

    p: float

    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        x, stacked = flow
        if not run.training or self.p == 0:
            run.saved.append(None)
            return flow
        mask = run.buffer("mask", x.shape[1:] if stacked else x.shape, x)
        mask.bernoulli_(1 - self.p).div_(1 - self.p)
        run.saved.append(mask)
        return torch.mul(x, mask, out=run.buffer("out", x.shape, x)), stacked

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        mask = run.saved[run.layer]
        return grad.mul_(mask) if isinstance(mask, torch.Tensor) else grad


@dataclass(frozen=True)
class _Flatten(_Op):
    """nn.Flatten() with its default dims: each example's features into one row."""

    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        x, stacked = flow
        run.saved.append(x.shape)
        return x.flatten(2 if stacked else 1), stacked

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        shape = run.saved[run.layer]
        assert isinstance(shape, torch.Size)
        return grad.reshape(shape)


class _Identity(_Op):
    def forward(self, flow: Flow, params: Params, run: _Pass) -> Flow:
        run.saved.append(None)
        return flow

    def backward(self, grad: torch.Tensor, params: Params, run: _Pass, grads: Params) -> torch.Tensor:
        return grad


def _kept(x: torch.Tensor, saved: list[object]) -> bool:
    """Whether an earlier layer's backward reads `x` (then an activation must not overwrite it)."""
    return any(isinstance(s, torch.Tensor) and s.data_ptr() == x.data_ptr() for s in saved)


def _activation(module: nn.Module) -> _Op | None:
    """The op for an activation module with exactly its settings, or None."""
    kind = type(module)
    if kind is nn.ReLU:
        return _Elementwise(_relu, _relu_backward, from_output=True)
    if kind is nn.Tanh:
        return _Elementwise(aten.tanh.out, aten.tanh_backward.grad_input, from_output=True)
    if kind is nn.Sigmoid:
        return _Elementwise(aten.sigmoid.out, aten.sigmoid_backward.grad_input, from_output=True)
    if isinstance(module, nn.LeakyReLU) and kind is nn.LeakyReLU:
        slope = module.negative_slope
        return _Elementwise(
            lambda x, out: aten.leaky_relu.out(x, slope, out=out),
            lambda g, x, grad_input: aten.leaky_relu_backward.grad_input(
                g, x, slope, False, grad_input=grad_input
            ),
            from_output=False,
        )
    if isinstance(module, nn.GELU) and kind is nn.GELU:
        approximate = module.approximate
        return _Elementwise(
            lambda x, out: aten.gelu.out(x, approximate=approximate, out=out),
            lambda g, x, grad_input: aten.gelu_backward.grad_input(
                g, x, approximate=approximate, grad_input=grad_input
            ),
            from_output=False,
        )
    return None


def _relu(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.clamp_min(x, 0, out=out)  # relu's own kernel; its out= variant copies once more


def _relu_backward(grad: torch.Tensor, out: torch.Tensor, grad_input: torch.Tensor) -> torch.Tensor:
    return aten.threshold_backward.grad_input(grad, out, 0, grad_input=grad_input)


def _op(module: nn.Module, prefix: str) -> _Op | None:
    """The op that computes `module` exactly as its own forward does, or None."""
    kind = type(module)
    if isinstance(module, nn.Linear) and kind is nn.Linear:
        return _Linear(f"{prefix}weight", f"{prefix}bias" if module.bias is not None else None)
    if isinstance(module, nn.Dropout) and kind is nn.Dropout:
        return _Dropout(module.p) if 0 <= module.p < 1 else None
    if isinstance(module, nn.Flatten) and kind is nn.Flatten:
        return _Flatten() if (module.start_dim, module.end_dim) == (1, -1) else None
    if kind is nn.Identity:
        return _Identity()
    return _activation(module)


def _layers(module: nn.Module, prefix: str = "") -> Iterator[_Op | None]:
    """The model's layers in call order (nested Sequentials unrolled); None for one not expressible."""
    if _hooked(module):
        yield None
    elif type(module) is nn.Sequential:
        for name, child in module._modules.items():  # named_children() would hide a reused layer
            if child is None:
                yield None
            else:
                yield from _layers(child, f"{prefix}{name}.")
    else:
        yield _op(module, prefix)


def _hooked(module: nn.Module) -> bool:
    """Whether hooks, the module's own or global ones, could change what it computes (the kernel
    never calls them)."""
    hooks = nn.modules.module
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
        or module._backward_pre_hooks or hooks._global_forward_hooks
        or hooks._global_forward_pre_hooks or hooks._global_backward_hooks
        or hooks._global_backward_pre_hooks
    )  # fmt: skip


class StackedKernel:
    """Forward and backward of a stack of layers for every member at once; parameters are the
    population's stacked tensors (members first), named as the template names them."""

    def __init__(self, ops: list[_Op]) -> None:
        self.ops = ops
        self.first = next(i for i, op in enumerate(ops) if isinstance(op, _Linear))
        self._kept: dict[tuple, torch.Tensor] = {}

    def release(self) -> None:
        """Let go of the kept buffers (the population's size changed: they would never be reused)."""
        self._kept.clear()

    @torch.no_grad()
    def forward(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Every member's outputs (members, batch, ...) in eval mode for one batch they share, in a
        buffer the next call overwrites."""
        return self._forward(params, (x, False), _Pass(training=False, kept=self._kept))

    def step(
        self, params: Params, x: torch.Tensor, y: torch.Tensor, task: str, stacked: bool
    ) -> tuple[torch.Tensor, Params]:
        """Each member's mean training loss on `x` (one batch shared by all members, or `stacked`:
        one per member) and its gradients, as autograd would give them alone. The gradients live
        in buffers the next step overwrites."""
        run = _Pass(training=True, kept=self._kept)
        grads: Params = {}
        with torch.no_grad():
            out = self._forward(params, (x, stacked), run)
            loss, grad = _loss_and_gradient(out, y, task, stacked)
            for run.layer in range(len(self.ops) - 1, self.first, -1):
                grad = self.ops[run.layer].backward(grad, params, run, grads)
            run.layer = self.first
            first = self.ops[self.first]
            assert isinstance(first, _Linear)
            first.gradients(grad, run, grads)  # no layer before it needs its input's gradient
        return loss, grads

    def _forward(self, params: Params, flow: Flow, run: _Pass) -> torch.Tensor:
        for run.layer, op in enumerate(self.ops):
            flow = op.forward(flow, params, run)
        return flow[0]


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's mean cross-entropy and its gradient, (softmax − one-hot) / batch, written as
    autograd's log-softmax and NLL backward compute it (the same roundings), in a third of the time."""
    log_p = torch.log_softmax(out, dim=2)
    target = y.unsqueeze(2)
    loss = log_p.gather(2, target).squeeze(2).neg_().mean(dim=1)
    share = 1.0 / out.shape[1]
    grad = log_p.exp_().mul_(share)
    return loss, grad.scatter_add_(2, target, grad.new_full(target.shape, -share))


def _loss_and_gradient(
    out: torch.Tensor, y: torch.Tensor, task: str, stacked: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's mean loss as the task defines it, and its gradient: cross-entropy written out,
    any other loss through autograd."""
    from dldoctor.population import member_losses  # population imports this module

    if task == "classification" and out.dim() == 3 and not y.is_floating_point():
        return _cross_entropy(out, y if stacked else y.expand(out.shape[0], *y.shape))
    out = out.detach().requires_grad_()
    with torch.enable_grad():
        loss = member_losses(out, y, task, shared=not stacked)
        (grad,) = torch.autograd.grad(loss.sum(), out)
    return loss.detach(), grad.contiguous()  # the layers' backward writes into it


def stacked_kernel(template: nn.Module, x: torch.Tensor) -> StackedKernel | None:
    """The hand-written kernel for `template` on inputs like `x`, or None when it cannot reproduce
    the model's own computation exactly (another module, hooks, a shared layer, other shapes)."""
    ops = list(_layers(template))
    layers = [op for op in ops if op is not None]
    if len(layers) < len(ops) or not any(isinstance(op, _Linear) for op in layers):
        return None
    used = [name for op in layers if isinstance(op, _Linear) for name in (op.weight, op.bias) if name]
    if sorted(used) != sorted(name for name, _ in template.named_parameters()):
        return None  # a layer used twice, or parameters the stack does not know
    kernel = StackedKernel(layers)
    return kernel if _shapes_fit(kernel, template, x) else None


def _shapes_fit(kernel: StackedKernel, template: nn.Module, x: torch.Tensor) -> bool:
    """Whether every Linear layer sees one row per example (the kernel multiplies matrices) with
    the input's dtype and device, tried on two examples."""
    params = {name: p.detach().unsqueeze(0) for name, p in template.named_parameters()}
    if any(p.dtype != x.dtype or p.device != x.device for p in params.values()):
        return False
    flow: Flow = (x[:2], False)
    run = _Pass(training=False, kept=None)
    with torch.no_grad():
        for run.layer, op in enumerate(kernel.ops):
            if isinstance(op, _Linear) and flow[0].dim() != (3 if flow[1] else 2):
                return False
            flow = op.forward(flow, params, run)
    return True
