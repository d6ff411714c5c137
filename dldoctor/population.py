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
from torch.func import functional_call, grad_and_value, vmap

from dldoctor import task as tasks
from dldoctor.data import Data, Split, TensorSplit, training_steps
from dldoctor.inputs import single
from dldoctor.recipe import Recipe
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
    mode) to functional_call and is never trained itself.
    """

    def __init__(self, template: nn.Module, recipe: Recipe, train: TensorSplit, random: bool) -> None:
        self.template = template
        self.recipe = recipe
        self.train = train
        self.x = single(train.x)
        self.random = random
        self.names = [name for name, _ in template.named_parameters()]
        self.params: dict[str, torch.Tensor] = {}
        self.moments: list[dict[str, torch.Tensor]] = []  # SGD: [momentum]; Adam: [m, v]
        self.members: list[Member] = []
        self.steps = torch.zeros(0, dtype=torch.float64)
        self.epochs: list[int] = []
        self._orders: dict[int, list[torch.Tensor]] = {}
        self._generators: dict[int, torch.Generator] = {}
        self._hyper: dict[str, torch.Tensor] = {}
        randomness = _randomness(random)
        self._forward_shared = vmap(self._forward, in_dims=(0, None), randomness=randomness)
        self._forward_own = vmap(self._forward, in_dims=(0, 0), randomness=randomness)
        self._outputs = vmap(self._forward, in_dims=(0, None), randomness="error")

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
        self.steps = torch.cat([self.steps, torch.zeros(1, dtype=torch.float64)])
        self._refresh_hyper()

    def remove(self, indices: Sequence[int]) -> None:
        """Drop the members at `indices` (finished, pruned or diverged); the rest keep their state."""
        gone = set(indices)
        keep = [i for i in range(len(self)) if i not in gone]
        index = torch.tensor(keep, dtype=torch.long, device=self._device)
        self.params = {name: p.index_select(0, index) for name, p in self.params.items()}
        self.moments = [{n: t.index_select(0, index) for n, t in moment.items()} for moment in self.moments]
        self.members = [self.members[i] for i in keep]
        self.epochs = [self.epochs[i] for i in keep]
        self.steps = self.steps[torch.tensor(keep, dtype=torch.long)]
        self._refresh_hyper()

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
        leaves = [self.params[name] for name in self.names]
        for s in range(steps):
            rows = slice(s * batch, (s + 1) * batch)
            if shared:
                index = orders[0][rows]
                out = self._forward_shared(self.params, self.x[index])
            else:
                index = torch.stack([order[rows] for order in orders])
                out = self._forward_own(self.params, self.x[index])
            loss = member_losses(out, self.train.y[index], self.recipe.task, shared)
            grads = torch.autograd.grad(loss.sum(), leaves)  # members share no weights: their own gradients
            with torch.no_grad():
                self._update(dict(zip(self.names, grads, strict=True)))
            losses[s] = loss.detach()
        self.epochs = [e + 1 for e in self.epochs]
        return losses.double().mean(dim=0).cpu().numpy()

    @torch.no_grad()
    def evaluate(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Each member's (mean error, mean loss) on `split`, in eval mode."""
        self.template.eval()
        losses, errors = [], []
        for x, y in split.batches(EVAL_BATCH):
            out = self._outputs(self.params, single(x))
            loss, error = vmap(per_example, in_dims=(0, None, None))(out, y, self.recipe.task)
            losses.append(loss)
            errors.append(error)
        self.template.train()
        error = torch.cat(errors, dim=1).double().mean(dim=1)
        loss = torch.cat(losses, dim=1).double().mean(dim=1)
        return error.cpu().numpy(), loss.cpu().numpy()

    def weights(self, index: int) -> dict[str, torch.Tensor]:
        """Member `index`'s parameters, as a state dict of the template."""
        return {name: p[index].detach().clone() for name, p in self.params.items()}

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

    def _refresh_hyper(self) -> None:
        """Per-member settings as device tensors, shaped to broadcast over a stacked parameter."""

        def column(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=self._device)

        self._hyper = {
            "lr": column([m.lr for m in self.members]),
            "beta": column([m.beta for m in self.members]),
            "wd": column([m.weight_decay for m in self.members]),
        }
        self._decay = any(m.weight_decay for m in self.members)
        self._one_minus_beta = 1 - self._hyper["beta"]

    def _update(self, grads: dict[str, torch.Tensor]) -> None:
        """One optimiser step for every member, the formulas of torch.optim's SGD / Adam / AdamW."""
        self.steps += 1
        if self.recipe.optimizer == "sgd":
            self._sgd(grads)
        else:
            self._adam(grads, decoupled=self.recipe.optimizer == "adamw")

    def _sgd(self, grads: dict[str, torch.Tensor]) -> None:
        lr, beta, wd = self._hyper["lr"], self._hyper["beta"], self._hyper["wd"]
        (momentum,) = self.moments
        for name in self.names:
            p, g = self.params[name], grads[name]
            shape = (-1,) + (1,) * (p.dim() - 1)
            if self._decay:
                g = g.addcmul_(wd.view(shape), p)
            buf = momentum[name].mul_(beta.view(shape)).add_(g)  # the first step: 0·β + g = g, as torch
            p.addcmul_(lr.view(shape), buf, value=-1)

    def _adam(self, grads: dict[str, torch.Tensor], decoupled: bool) -> None:
        lr, beta, wd = self._hyper["lr"], self._hyper["beta"], self._hyper["wd"]
        beta64 = beta.to(self.steps.device, torch.float64)
        correction1 = (1 - beta64**self.steps).to(self._device)
        correction2_sqrt = ((1 - ADAM_BETA2**self.steps) ** 0.5).to(self._device).float()
        step_size = (lr.double() / correction1).float()
        first, second = self.moments
        for name in self.names:
            p, g = self.params[name], grads[name]
            shape = (-1,) + (1,) * (p.dim() - 1)
            if self._decay and decoupled:
                p.mul_(1 - lr.view(shape) * wd.view(shape))
            elif self._decay:
                g = g.addcmul_(wd.view(shape), p)
            m = first[name].lerp_(g, self._one_minus_beta.view(shape).expand_as(g))
            v = second[name].mul_(ADAM_BETA2).addcmul_(g, g, value=1 - ADAM_BETA2)
            denom = v.sqrt().div_(correction2_sqrt.view(shape)).add_(ADAM_EPS)
            p.addcdiv_(m * step_size.view(shape), denom, value=-1)


def member_losses(out: torch.Tensor, y: torch.Tensor, task: str, shared: bool) -> torch.Tensor:
    """Each member's mean batch loss, as batch_loss gives it for one model, computed for all members
    at once outside vmap (faster than cross-entropy's batching rule). `y` is one batch shared by all
    members, shaped (batch, ...) when `shared`, or each member's own, (members, batch, ...)."""
    members, batch = out.shape[:2]
    if shared:
        y = y.expand(members, *y.shape)
    flat = tasks.get(task).own_loss(
        out.reshape(members * batch, *out.shape[2:]), y.reshape(members * batch, *y.shape[2:])
    )
    return flat.view(members, batch).mean(dim=1)


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
    two-member population must give the loss and gradients of the model run by itself."""
    inputs, y = train.sample(8, seed)
    x = single(inputs)
    try:
        random = uses_randomness(template, x)
        probe = vmap(
            grad_and_value(_probe_loss), in_dims=(0, None, None, None, None), randomness=_randomness(random)
        )
        params = {
            n: p.detach().unsqueeze(0).repeat(2, *[1] * p.dim()) for n, p in template.named_parameters()
        }
        template.train()
        torch.manual_seed(seed)
        grads, loss = probe(params, template, x, y, recipe.task)
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


def _probe_loss(
    params: dict[str, torch.Tensor], template: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str
) -> torch.Tensor:
    return batch_loss(functional_call(template, params, (x,)), y, task)


def _randomness(random: bool) -> str:
    return "same" if random else "error"


def member_of(recipe: Recipe, seed: int) -> Member:
    return Member(recipe.lr, recipe.beta, recipe.weight_decay, seed)
