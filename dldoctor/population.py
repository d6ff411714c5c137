"""A population: several copies of one architecture trained at once as one batched computation.

Each member has its own weights, optimiser settings (lr, β, weight decay), optimiser state, seed and
epoch count; `torch.func.vmap` over `functional_call` runs all members' forward and backward passes
as one, and the optimiser step is written over stacked tensors, so K small trials cost little more
than one. A member trains exactly as `training.fit` would train it alone: the same initial weights,
the same shuffled order (its own generator, seeded like fit's), the same update formulas.

Randomness (dropout): alone, a member draws its masks from the global generator seeded with its seed.
A population reproduces that with vmap's randomness="same" — every member gets the mask the lone run
would draw — which is exact only while all members share one seed and start together; `random`
populations therefore take no new members mid-run (see `Population.accepts_newcomers`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from dldoctor import task as tasks
from dldoctor.data import Data, Split, TensorSplit, training_steps
from dldoctor.inputs import single
from dldoctor.recipe import Recipe
from dldoctor.stacked import StackedKernel, stacked_kernel
from dldoctor.step_graphs import StepGraphs
from dldoctor.training import EVAL_BATCH, batch_loss, per_example

ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8
OPTIMIZERS = ("sgd", "adam", "adamw")
# Recipe fields a population knows how to honour; any other field left away from its default (a
# scheduler, a loss, clipping…) is a setting it cannot vectorise, and packing is refused.
HONOURED = frozenset(
    {"name", "model", "data", "task", "bayes_error", "target_error", "optimizer", "lr", "beta"}
    | {"batch_size", "epochs", "weight_decay", "description", "baseline", "search_space"}
)
PROBE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Member:
    """One model of the population: how it trains. `seed` fixes its data order (and, alone, its
    initial weights and dropout masks)."""

    lr: float
    beta: float
    weight_decay: float
    seed: int


@dataclass(frozen=True)
class MemberEpoch:
    """What one epoch did for one member, as fit's EpochRecord would say it."""

    epoch: int
    train_loss: float
    dev_error: float
    dev_loss: float


def recipe_obstacle(recipe: Recipe) -> str | None:
    """Why this recipe's training cannot be vectorised, or None."""
    if recipe.optimizer not in OPTIMIZERS:
        return f"optimizer {recipe.optimizer!r} has no packed implementation"
    for field in dataclasses.fields(recipe):
        if field.name in HONOURED:
            continue
        default = (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        )
        if getattr(recipe, field.name) != default:
            return f"the recipe sets {field.name}, which packed training does not implement"
    return None


def model_obstacle(model: nn.Module) -> str | None:
    """Why vmap cannot train this model per member, judged from its structure, or None."""
    if next(model.buffers(), None) is not None:
        name = next(n for n, _ in model.named_buffers())
        return f"the model keeps buffers ({name}: BatchNorm statistics or the like) that vmap cannot update"
    if not any(p.requires_grad for p in model.parameters()):
        return "the model has no trainable parameters"
    if any(not p.requires_grad for p in model.parameters()):
        return "the model freezes some parameters"
    return None


def data_obstacle(data: Data) -> str | None:
    if not isinstance(data.train, TensorSplit):
        return "the training data is a torch Dataset; packing needs in-memory arrays"
    if not isinstance(data.train.x, torch.Tensor):
        return "the inputs are a tuple or dict of tensors; packing needs one input tensor"
    return None


class Population:
    """Members of one architecture, stacked along a leading dimension, trained step by step together.

    `template` is a freshly built model of the architecture; it lends its structure (and train/eval
    mode) to functional_call and is never trained itself. On a GPU the step is replayed as a CUDA
    graph (`graphs=False`: always eager). On a CPU a stack of Linear layers and activations skips
    vmap and autograd: `kernel` computes its steps (None: the model is not such a stack).
    """

    def __init__(
        self, template: nn.Module, recipe: Recipe, train: TensorSplit, random: bool, graphs: bool = True
    ) -> None:
        self.template = template
        self.recipe = recipe
        self.train = train
        self.x = single(train.x)
        self.random = random
        self.names = [name for name, _ in template.named_parameters()]
        self.params: dict[str, torch.Tensor] = {}
        self.moments: list[dict[str, torch.Tensor]] = []  # SGD: [momentum]; Adam: [m, v]
        self.members: list[Member] = []
        self._counts = torch.zeros(0, device=self._device)  # steps per member, float32 as the kernels take
        self._first_steps: list[bool] = []
        self._views: list[list[list[torch.Tensor]]] | None = None
        self._grad_views: tuple[list[torch.Tensor], list[list[torch.Tensor]]] | None = None
        self.epochs: list[int] = []
        self._orders: dict[int, list[torch.Tensor]] = {}
        self._generators: dict[int, torch.Generator] = {}
        randomness = _randomness(random)
        self._forward_shared = vmap(self._forward, in_dims=(0, None), randomness=randomness)
        self._forward_own = vmap(self._forward, in_dims=(0, 0), randomness=randomness)
        self._outputs = vmap(self._forward, in_dims=(0, None), randomness="error")
        self._graphs = StepGraphs(self._step) if graphs and self._device.type == "cuda" else None
        self.kernel: StackedKernel | None = (
            stacked_kernel(template, self.x) if self._device.type == "cpu" else None
        )

    def __len__(self) -> int:
        return len(self.members)

    @property
    def accepts_newcomers(self) -> bool:
        """Whether a member may join mid-run: not when dropout masks must follow one shared stream."""
        return not self.random

    def add(self, model: nn.Module, member: Member) -> None:
        """Append a member starting from `model`'s weights (built like fit's model would be)."""
        if self.random and self.members and member.seed != self.members[0].seed:
            raise ValueError("members of a population with dropout must share one seed")
        new = {name: p.detach().to(self._device).unsqueeze(0) for name, p in model.named_parameters()}
        self.params = _cat(self.params, new)
        count = 1 if self.recipe.optimizer == "sgd" else 2
        zeros = {name: torch.zeros_like(p) for name, p in new.items()}
        self.moments = [_cat(self.moments[i] if self.moments else {}, zeros) for i in range(count)]
        self.members.append(member)
        self.epochs.append(0)
        self._counts = torch.cat([self._counts, torch.zeros(1, device=self._device)])
        self._first_steps.append(True)
        self._moved()

    def remove(self, indices: Sequence[int]) -> None:
        """Drop the members at `indices` (finished, pruned or diverged); the rest keep their state."""
        gone = set(indices)
        if not gone:
            return  # a copy would also undo the parameters' adopted memory layout
        keep = [i for i in range(len(self)) if i not in gone]
        index = torch.tensor(keep, dtype=torch.long, device=self._device)
        self.params = {name: p.index_select(0, index) for name, p in self.params.items()}
        self.moments = [{n: t.index_select(0, index) for n, t in moment.items()} for moment in self.moments]
        self.members = [self.members[i] for i in keep]
        self.epochs = [self.epochs[i] for i in keep]
        self._counts = self._counts.index_select(0, index)
        self._first_steps = [self._first_steps[i] for i in keep]
        self._moved()

    def start(self) -> None:
        """Seed the global generator as fit does before its first step (the dropout stream)."""
        if self.members:
            torch.manual_seed(self.members[0].seed)

    def train_epoch(self) -> np.ndarray:
        """One epoch for every member; returns each member's mean step loss (float64)."""
        self.template.train()
        n, batch = len(self.train), self.recipe.batch_size
        steps = training_steps(n, batch)
        orders = [self._order(i) for i in range(len(self))]
        shared = all(order is orders[0] for order in orders)
        losses = torch.zeros(steps, len(self), device=self._device)
        self.params = {name: p.detach().requires_grad_() for name, p in self.params.items()}
        step = self._graphs or self._step
        for s in range(steps):
            rows = slice(s * batch, (s + 1) * batch)
            index = orders[0][rows] if shared else torch.stack([order[rows] for order in orders])
            losses[s] = step(index)
        self.epochs = [e + 1 for e in self.epochs]
        return losses.double().mean(dim=0).cpu().numpy()

    def _step(self, index: torch.Tensor) -> torch.Tensor:
        """Forward, backward and update on the rows `index` picks (one row list shared by every
        member, or one per member); returns each member's loss."""
        shared = index.dim() == 1
        x, y = self.x[index], self.train.y[index]
        if self.kernel is not None:
            loss, grads = self.kernel.step(self.params, x, y, self.recipe.task, stacked=not shared)
        else:
            forward = self._forward_shared if shared else self._forward_own
            loss = member_losses(forward(self.params, x), y, self.recipe.task, shared)
            leaves = [self.params[name] for name in self.names]
            # members share no weights: their own gradients
            grads = dict(zip(self.names, torch.autograd.grad(loss.sum(), leaves), strict=True))
        with torch.no_grad():
            self._update(grads)
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Each member's (mean error, mean loss) on `split`, in eval mode."""
        self.template.eval()
        losses, errors = [], []
        for x, y in split.batches(EVAL_BATCH):
            if self.kernel is not None:
                out = self.kernel.forward(self.params, single(x))
            else:
                out = self._outputs(self.params, single(x))
            flat_out, flat_y = _flattened(out, y, shared=True)
            loss, error = per_example(flat_out, flat_y, self.recipe.task)
            losses.append(loss.view(out.shape[:2]))
            errors.append(error.view(out.shape[:2]))
        self.template.train()
        error = torch.cat(errors, dim=1).double().mean(dim=1)
        loss = torch.cat(losses, dim=1).double().mean(dim=1)
        return error.cpu().numpy(), loss.cpu().numpy()

    def weights(self, index: int) -> dict[str, torch.Tensor]:
        """Member `index`'s parameters, as a state dict of the template."""
        return {name: p[index].detach().clone() for name, p in self.params.items()}

    def _moved(self) -> None:
        """Parameters or optimiser state now live in new memory: drop what pointed at the old."""
        self._views = self._grad_views = None
        if self._graphs is not None:
            self._graphs.reset()
        if self.kernel is not None:
            self.kernel.release()  # its buffers are shaped for the old member count

    @property
    def _device(self) -> torch.device:
        return self.x.device

    def _forward(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.template, params, (x,))

    def _order(self, index: int) -> torch.Tensor:
        """The member's shuffled order for its current epoch: the same draw as fit's generator."""
        seed, epoch = self.members[index].seed, self.epochs[index]
        orders = self._orders.setdefault(seed, [])
        generator = self._generators.setdefault(seed, torch.Generator().manual_seed(seed))
        while len(orders) <= epoch:
            orders.append(torch.randperm(len(self.train), generator=generator).to(self._device))
        return orders[epoch]

    def _aligned(self, grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The gradients in their parameters' memory layout, which the fused kernels need (they walk
        memory in order). vmap's gradients come transposed; the first time, the parameter and its
        moments adopt that layout (one copy), so that later steps need none."""
        aligned = {}
        for name, g in grads.items():
            p = self.params[name]
            if g.stride() != p.stride() and _dense(g):
                self.params[name] = _laid_out_like(g, p).requires_grad_()
                for moment in self.moments:
                    moment[name] = _laid_out_like(g, moment[name])
                self._moved()
            aligned[name] = g if g.stride() == self.params[name].stride() else _laid_out_like(p, g)
        return aligned

    def _state_views(self) -> list[list[list[torch.Tensor]]]:
        """Per member: its slice of every parameter, then of every moment, then its step count
        (once per parameter, as the kernels take it); kept until the tensors are replaced."""
        if self._views is None:
            kinds = [self.params, *self.moments]
            per_kind = [[t.detach().unbind(0) for t in kind.values()] for kind in kinds]
            counts = self._counts.unbind(0)
            self._views = [
                [[views[i] for views in kind] for kind in per_kind] + [[counts[i]] * len(self.names)]
                for i in range(len(self))
            ]
        return self._views

    def _update(self, grads: dict[str, torch.Tensor]) -> None:
        """One optimiser step for every member through torch's own fused kernels (the ones a lone
        run's fused optimiser calls), one call per member since each has its own lr, β and decay."""
        grads = self._aligned(grads)
        self._counts += 1
        states = zip(self.members, self._state_views(), self._member_grads(grads), strict=True)
        for i, (member, state, gradient) in enumerate(states):
            params, *moments, counts = state
            if self.recipe.optimizer == "sgd":
                self._sgd_step(member, params, gradient, moments[0], first=self._first_steps[i])
            else:
                self._adam_step(member, params, gradient, moments, counts)
        self._first_steps = [False] * len(self)

    def _member_grads(self, grads: dict[str, torch.Tensor]) -> list[list[torch.Tensor]]:
        """Per member, its slice of every gradient (in the views' order); kept while the gradients
        are the same tensors, as the stacked kernel's are (it writes every step into one buffer)."""
        source = [grads[name] for name in self.names]
        kept = self._grad_views
        if kept is None or any(a is not b for a, b in zip(source, kept[0], strict=True)):
            per_member = [list(views) for views in zip(*(g.unbind(0) for g in source), strict=True)]
            kept = self._grad_views = (source, per_member)
        return kept[1]

    @staticmethod
    def _sgd_step(
        member: Member,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        momentum: list[torch.Tensor],
        first: bool,
    ) -> None:
        torch._fused_sgd_(
            params,
            grads,
            momentum if member.beta else [],
            weight_decay=member.weight_decay,
            momentum=member.beta,
            lr=member.lr,
            dampening=0.0,
            nesterov=False,
            maximize=False,
            is_first_step=first,  # the buffer starts as the gradient, as torch's SGD
        )

    def _adam_step(
        self,
        member: Member,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        moments: list[list[torch.Tensor]],
        counts: list[torch.Tensor],
    ) -> None:
        fused = torch._fused_adamw_ if self.recipe.optimizer == "adamw" else torch._fused_adam_
        fused(
            params,
            grads,
            moments[0],
            moments[1],
            [],
            counts,
            lr=member.lr,
            beta1=member.beta,
            beta2=ADAM_BETA2,
            weight_decay=member.weight_decay,
            eps=ADAM_EPS,
            amsgrad=False,
            maximize=False,
        )


def member_losses(out: torch.Tensor, y: torch.Tensor, task: str, shared: bool) -> torch.Tensor:
    """Each member's mean batch loss, as batch_loss gives it for one model, computed for all members
    at once outside vmap (faster than cross-entropy's batching rule). `y` is one batch shared by all
    members, shaped (batch, ...) when `shared`, or each member's own, (members, batch, ...)."""
    return tasks.get(task).own_loss(*_flattened(out, y, shared)).view(out.shape[:2]).mean(dim=1)


def _flattened(out: torch.Tensor, y: torch.Tensor, shared: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Every member's outputs and targets as one batch of members × examples rows, for the task's
    per-example functions: far faster than their batching rules under vmap."""
    members, batch = out.shape[:2]
    if shared:
        y = y.expand(members, *y.shape)
    return out.reshape(members * batch, *out.shape[2:]), y.reshape(members * batch, *y.shape[2:])


def _dense(t: torch.Tensor) -> bool:
    """Whether `t`'s elements fill its memory exactly (a permutation of a contiguous layout)."""
    return t.is_contiguous() or torch.empty_like(t).stride() == t.stride()


def _laid_out_like(layout: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """`values` copied into a tensor with `layout`'s strides."""
    return torch.empty_like(layout).copy_(values)


def _cat(old: dict[str, torch.Tensor], new: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if not old:
        return {name: t.clone() for name, t in new.items()}
    return {name: torch.cat([old[name], new[name]]) for name in new}


def uses_randomness(template: nn.Module, x: torch.Tensor) -> bool:
    """Whether the model draws random numbers in training mode (dropout and the like)."""
    params = {n: p.detach().unsqueeze(0) for n, p in template.named_parameters()}
    template.train()
    try:
        vmap(lambda p, x: functional_call(template, p, (x,)), in_dims=(0, None), randomness="error")(
            params, x
        )
    except RuntimeError as exc:
        if "randomness" in str(exc) or "random operation" in str(exc):
            return True
        raise
    return False


def probe_obstacle(template: nn.Module, recipe: Recipe, train: TensorSplit, seed: int) -> str | None:
    """Why packing would not reproduce this model's own training, found by trying it: one step of a
    two-member population, computed as `Population.train_epoch` computes it, must give the loss and
    gradients of the model run by itself. (Not through torch.func.grad: that imports torch._dynamo,
    tens of seconds per worker process on a busy machine.)"""
    inputs, y = train.sample(8, seed)
    x = single(inputs)
    try:
        random = uses_randomness(template, x)
        forward = vmap(
            lambda p, x: functional_call(template, p, (x,)), in_dims=(0, None), randomness=_randomness(random)
        )
        params = {
            n: p.detach().unsqueeze(0).repeat(2, *[1] * p.dim()).requires_grad_()
            for n, p in template.named_parameters()
        }
        template.train()
        torch.manual_seed(seed)
        loss = member_losses(forward(params, x), y, recipe.task, shared=True)
        grads = dict(zip(params, torch.autograd.grad(loss.sum(), list(params.values())), strict=True))
    except Exception as exc:  # vmap's refusals are RuntimeErrors, a user's model may raise anything
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"vmap cannot run the model ({first[:120]})"
    torch.manual_seed(seed)
    alone = batch_loss(template(x), y, recipe.task)
    expected = torch.autograd.grad(alone, [p for _, p in template.named_parameters()], allow_unused=True)
    close = all(
        torch.allclose(loss[i], alone.detach(), rtol=PROBE_TOLERANCE, atol=PROBE_TOLERANCE) for i in range(2)
    ) and all(
        e is not None and torch.allclose(grads[n][i], e, rtol=PROBE_TOLERANCE, atol=PROBE_TOLERANCE)
        for (n, _), e in zip(template.named_parameters(), expected, strict=True)
        for i in range(2)
    )
    return (
        None
        if close
        else "the model run through vmap differs from the model run alone (state outside its parameters?)"
    )


def _randomness(random: bool) -> str:
    return "same" if random else "error"


def member_of(recipe: Recipe, seed: int) -> Member:
    return Member(recipe.lr, recipe.beta, recipe.weight_decay, seed)
