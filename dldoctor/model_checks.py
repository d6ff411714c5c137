"""Static checks of the model itself: faults in its structure that cap what it can fit.

One forward pass on a few training examples, with a hook on every leaf module, shows how tensors
flow from layer to layer. Where one linear map's output reaches the next linear map unchanged
(or only reshaped), the two collapse into one; a hidden layer narrower than K − 1 caps the logits'
rank (softmax ignores one direction); a squashing output cannot reach regression targets outside
its range. Each such fault is a lack of capacity: a bigger or repaired model is the cure, not a
better optimiser. A softmax or sigmoid output fed to cross-entropy is different: it leaves the logits
inside [0, 1], which caps the loss and shrinks its gradient but not the ranking of the classes (the
argmax is the same), so it is a set-up fault that starves the optimiser, not a lack of capacity.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from dldoctor import inputs
from dldoctor.diagnosis.evidence import ModelCheck
from dldoctor.inputs import Inputs, forward

EXAMPLES = 64
LINEAR = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
PASS = (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
AFFINE = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm)  # affine in eval mode (LN: no)
RANGES = {  # what each output activation can reach
    nn.Sigmoid: (0.0, 1.0),
    nn.Tanh: (-1.0, 1.0),
    nn.ReLU: (0.0, math.inf),
    nn.Softplus: (0.0, math.inf),
    nn.Hardsigmoid: (0.0, 1.0),
}
OUTSIDE = 0.01  # share of regression targets out of the output's reach that counts as a fault
TOLERANCE = 1e-5
CLAMPED = 0.1  # share of logits exactly zero, all others positive, that marks a clamp after the output


@dataclass
class Call:
    """One leaf module's call in the forward pass."""

    name: str
    module: nn.Module
    input: torch.Tensor | None
    output: torch.Tensor


@dataclass(frozen=True)
class Inspection:
    """The checks that fired, and what the shallower-model builder needs to know about the network."""

    checks: tuple[ModelCheck, ...]
    chain: tuple[nn.Module, ...] | None  # leaf modules in order, when data flows through them one by one
    linear: bool  # no nonlinearity anywhere: the network computes one linear map of its input
    narrowest: int | None  # the narrowest hidden Linear layer
    dropout: bool
    calls: list[Call] = field(default_factory=list, repr=False)


def inspect(model: nn.Module, x: Inputs, y: torch.Tensor, task: str, outputs: int) -> Inspection:
    """Run the checks on one forward pass of `x` (a few training examples, targets `y`); a model with
    several inputs is never a plain chain from its input."""
    head = inputs.index(x, slice(0, EXAMPLES))
    calls, out = _trace(model, head)
    plain = head if isinstance(head, torch.Tensor) else None
    chain = _chain(calls, plain, out)
    linear = _linear_path(calls, plain, out)
    layers = [c.module for c in calls if isinstance(c.module, nn.Linear)]
    narrowest = min((m.out_features for m in layers[:-1]), default=None)
    found = [
        *_linear_stacks(calls, linear),
        *_bottleneck(narrowest, task, outputs),
        *_squashed(out, task),
        *_sigmoid_twice(out, task),
        *_out_of_reach(calls, out, y[:EXAMPLES], task),
        *_clamped_logits(out, task),
        *_position_blind(model, head, out),
    ]
    dropout = any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())
    return Inspection(tuple(found), chain, linear, narrowest, dropout, calls)


def _trace(model: nn.Module, x: Inputs) -> tuple[list[Call], torch.Tensor]:
    calls: list[Call] = []

    def hook(module: nn.Module, args: tuple, output: object) -> None:
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if isinstance(output, torch.Tensor):
            calls.append(Call(names[module], module, first, output))

    names = {m: n for n, m in model.named_modules() if not list(m.children())}
    handles = [m.register_forward_hook(hook) for m in names]
    try:
        out = _evaluated(model, x)
    finally:
        for h in handles:
            h.remove()
    return calls, out


def _evaluated(model: nn.Module, x: Inputs) -> torch.Tensor:
    """The model's output in eval mode without gradients; its mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out: torch.Tensor = forward(model, x)
    finally:
        model.train(was_training)
    return out


def _same(a: torch.Tensor | None, b: torch.Tensor | None) -> bool:
    """The same values, whatever the shape: a flatten or view in between changes nothing."""
    return (
        a is not None
        and b is not None
        and a.numel() == b.numel()
        and a.dtype == b.dtype
        and torch.equal(a.reshape(-1), b.reshape(-1))
    )


def _chain(calls: list[Call], x: torch.Tensor | None, out: torch.Tensor) -> tuple[nn.Module, ...] | None:
    """The leaf modules in order when each feeds the next directly (a Sequential-like network)."""
    if not calls or not _same(calls[0].input, x) or not _same(calls[-1].output, out):
        return None
    for before, after in itertools.pairwise(calls):
        if not _same(before.output, after.input):
            return None
    return tuple(c.module for c in calls)


def _producer(calls: list[Call], upto: int, tensor: torch.Tensor | None) -> int | None:
    """The latest call before `upto` whose output is `tensor`."""
    for i in range(upto - 1, -1, -1):
        if _same(calls[i].output, tensor):
            return i
    return None


def _linear_source(calls: list[Call], i: int) -> int | None:
    """The linear layer whose output reaches call i's input through pass-through modules only."""
    j = _producer(calls, i, calls[i].input)
    while j is not None and isinstance(calls[j].module, PASS + AFFINE):
        j = _producer(calls, j, calls[j].input)
    return j if j is not None and isinstance(calls[j].module, LINEAR) else None


def _linear_path(calls: list[Call], x: torch.Tensor | None, out: torch.Tensor) -> bool:
    """Walking back from the output meets only linear and pass-through layers until the input."""
    i = _producer(calls, len(calls), out)
    seen = 0
    while i is not None:
        if not isinstance(calls[i].module, LINEAR + PASS + AFFINE):
            return False
        seen += isinstance(calls[i].module, LINEAR)
        if _same(calls[i].input, x):
            return seen > 0
        i = _producer(calls, i, calls[i].input)
    return False


def _linear_stacks(calls: list[Call], linear: bool) -> list[ModelCheck]:
    pairs = [
        (calls[j].name, c.name)
        for i, c in enumerate(calls)
        if isinstance(c.module, LINEAR) and (j := _linear_source(calls, i)) is not None
    ]
    if not pairs:
        return []
    named = ", ".join(f"{a} → {b}" for a, b in pairs[:3])
    if linear:
        return [
            ModelCheck(
                "linear_network",
                f"the network has no nonlinearity anywhere ({named} follow each other directly): however"
                " many layers it has, it computes one linear map of its input",
                "Put a nonlinearity (ReLU, GELU) between the linear layers; stacked linear layers add no"
                " capacity.",
                numbers={"pairs": [list(p) for p in pairs]},
            )
        ]
    return [
        ModelCheck(
            "linear_stack",
            f"linear layers follow each other with no nonlinearity between them ({named}): each such"
            " pair collapses into one linear map, so the network is shallower than it looks",
            "Put an activation between each pair of consecutive linear layers (or drop one of them).",
            numbers={"pairs": [list(p) for p in pairs]},
        )
    ]


def _bottleneck(narrowest: int | None, task: str, outputs: int) -> list[ModelCheck]:
    """A hidden layer narrower than K − 1 caps the rank of the K logits (softmax ignores a shift)."""
    if task != "classification" or narrowest is None or narrowest >= outputs - 1:
        return []
    return [
        ModelCheck(
            "bottleneck",
            f"a hidden layer has only {narrowest} units for {outputs} classes: the logits are confined to a"
            f" {narrowest}-dimensional subspace, fewer than the {outputs - 1} the classes need",
            f"Widen that layer to at least {outputs} units (a few times more is common).",
            numbers={"width": narrowest, "classes": outputs},
        )
    ]


def _squashed(out: torch.Tensor, task: str) -> list[ModelCheck]:
    """Probabilities fed to cross-entropy as logits: confidence is capped however well it learns."""
    if task != "classification" or out.ndim != 2 or out.shape[1] < 2 or not torch.isfinite(out).all():
        return []
    k = out.shape[1]
    if bool((out <= TOLERANCE).all()) and bool((out.exp().sum(dim=1) - 1).abs().max() < 1e-3):
        return [
            ModelCheck(
                "output_log_softmax",
                "the model ends in log-softmax; cross-entropy applies its own, which leaves it unchanged",
                "Nothing to fix; returning raw logits is the usual convention.",
                capacity=False,
            )
        ]
    if not bool(((out >= -TOLERANCE) & (out <= 1 + TOLERANCE)).all()):
        return []
    kind = "softmax" if bool((out.sum(dim=1) - 1).abs().max() < 1e-3) else "sigmoid"
    best = math.e / (math.e + k - 1)
    return [
        ModelCheck(
            "output_squashed",
            f"the model ends in a {kind}, and the loss (cross-entropy) applies its own softmax: logits stuck"
            f" in [0, 1] cap the predicted probability at {best:.2f} and the loss at no less than"
            f" {-math.log(best):.2f}",
            f"Remove the final {kind}: return raw logits and let the loss apply softmax.",
            capacity=False,
            numbers={"activation": kind, "max_probability": best, "min_loss": -math.log(best)},
            setup=True,
        )
    ]


def _sigmoid_twice(out: torch.Tensor, task: str) -> list[ModelCheck]:
    """Multilabel probabilities fed to binary cross-entropy with logits, which applies its own sigmoid:
    logits in [0, 1] keep every label's probability in [0.5, 0.73], so none is ever predicted absent."""
    if task != "multilabel" or not torch.isfinite(out).all():
        return []
    if not bool(((out >= -TOLERANCE) & (out <= 1 + TOLERANCE)).all()):
        return []
    top = 1 / (1 + math.exp(-1))
    return [
        ModelCheck(
            "output_squashed",
            "the model ends in a sigmoid, and the loss (binary cross-entropy with logits) applies its own:"
            f" outputs stuck in [0, 1] keep every label's probability in [0.50, {top:.2f}], so no label is"
            f" ever predicted absent and an absent label costs at least {math.log(2):.2f}",
            "Remove the final sigmoid: return raw logits and let the loss apply it.",
            numbers={"activation": "sigmoid", "max_probability": top, "min_loss": math.log(2)},
        )
    ]


def _output_layer(calls: list[Call], out: torch.Tensor) -> nn.Module | None:
    """The module whose values the model returns: a squeeze or reshape after it changes none of them."""
    i = _producer(calls, len(calls), out)
    squashing = tuple(RANGES)
    while (
        i is not None
        and not isinstance(calls[i].module, squashing)
        and _same(calls[i].input, calls[i].output)
    ):
        i = _producer(calls, i, calls[i].input)
    return None if i is None else calls[i].module


def _out_of_reach(calls: list[Call], out: torch.Tensor, y: torch.Tensor, task: str) -> list[ModelCheck]:
    """A squashing last layer whose range misses some of the regression targets."""
    last = _output_layer(calls, out)
    if task != "regression" or last is None:
        return []
    reach = next((r for t, r in RANGES.items() if isinstance(last, t)), None)
    if reach is None:
        return []
    low, high = reach
    target = y.float().reshape(-1)
    outside = float(((target < low) | (target > high)).float().mean())
    if outside < OUTSIDE:
        return []
    floor = float((target.clamp(low, high) - target).square().mean())
    return [
        ModelCheck(
            "output_range",
            f"the model ends in {type(last).__name__}, whose outputs lie in [{low:g}, {high:g}], while"
            f" {100 * outside:.0f}% of the targets lie outside it (squared error from that alone"
            f" ≥ {floor:.3g})",
            f"Remove the final {type(last).__name__} (a linear output suits regression), or standardise the"
            " targets into its range.",
            numbers={"activation": type(last).__name__, "outside_share": outside, "mse_floor": floor},
        )
    ]


def _clamped_logits(out: torch.Tensor, task: str) -> list[ModelCheck]:
    """Logits never below zero and often exactly zero: an activation (ReLU) after the output layer.
    A clamped logit passes no gradient, so an example whose true class sits at zero cannot raise it;
    the classes' ranking stays expressible, so this starves the optimiser rather than capping the fit."""
    if task != "classification" or out.ndim != 2 or out.shape[1] < 2 or not torch.isfinite(out).all():
        return []
    zero = float((out == 0).float().mean())
    if bool((out < 0).any()) or bool((out <= 1 + TOLERANCE).all()) or zero < CLAMPED:
        return []
    return [
        ModelCheck(
            "output_clamped",
            f"the model's logits are never negative and {100 * zero:.0f}% of them are exactly 0: an"
            " activation after the output layer clamps them, and a clamped logit passes no gradient, so an"
            " example whose true class is clamped cannot learn to raise it",
            "Remove the activation after the last layer: return raw logits and let the loss apply softmax.",
            capacity=False,
            numbers={"zero_share": zero},
            setup=True,
        )
    ]


def _position_blind(model: nn.Module, x: Inputs, out: torch.Tensor) -> list[ModelCheck]:
    """Inputs laid out in positions (channels × length, or × height × width) whose positions can be
    shuffled without changing the output: the model sees which values occur, not where, so no weights
    can fit a target that depends on the arrangement (pointwise features pooled globally)."""
    if not isinstance(x, torch.Tensor) or x.ndim < 3 or not x.is_floating_point() or x.shape[0] < 2:
        return []
    positions = x[0, 0].numel()
    if positions < 4:
        return []
    order = torch.randperm(positions, generator=torch.Generator().manual_seed(0)).to(x.device)
    shuffled = x.reshape(*x.shape[:2], positions)[:, :, order].reshape(x.shape)
    if bool(torch.equal(shuffled, x)):
        return []
    moved = _evaluated(model, shuffled)
    if not isinstance(moved, torch.Tensor) or moved.shape != out.shape:
        return []
    if not torch.allclose(moved, out, rtol=1e-4, atol=1e-5 * (1 + float(out.abs().max()))):
        return []
    return [
        ModelCheck(
            "position_blind",
            f"shuffling the {positions} positions of each input (the same way in every channel) leaves the"
            " output unchanged: the model sees which values occur, not where they are, so no weights can"
            " fit a target that depends on their arrangement",
            "Give the model a receptive field over neighbouring positions (kernels larger than 1×1, or"
            " positional information) before any global pooling.",
            numbers={"positions": positions},
        )
    ]
