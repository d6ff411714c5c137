"""The easier-model test: models easier to optimise than the user's, on the same training inputs.

If a model that is *easier to optimise and one the user's network can represent* reaches a lower
*training* loss than the user's network, its high training error is an optimisation failure, not a
lack of capacity: more layers would not help, a better optimiser set-up would. Three easier models:
- convex: linear / logistic regression on flattened, standardised inputs, fitted to convergence
  by L-BFGS (always; it costs less than one epoch); it decides only for a linear network;
- shallower: the user's own network with its middle hidden blocks dropped, same regularisation,
  trained to convergence (only when training error is high — it costs a training run);
- recipe: the recipe's own `baseline=` model (a shallower sibling), trained exactly like the
  user's model (same condition).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from dldoctor import inputs
from dldoctor import task as tasks
from dldoctor.data import Data, TensorSplit, flat_features, standardise
from dldoctor.diagnosis.evidence import EasierModelResult
from dldoctor.diagnosis.probes import CONVEX_L2 as L2
from dldoctor.inputs import Inputs
from dldoctor.model_checks import Inspection
from dldoctor.recipe import Recipe
from dldoctor.stats import paired_difference
from dldoctor.training import LossFn, SplitResult, batch_loss, build_model, evaluate, fit, per_example

MAX_EXAMPLES = 20_000
MAX_FEATURES = 10_000
ROUNDS = 3  # rounds of the recipe's epochs a shallower version may train for
CONVERGED = 0.02  # ... stopping once a round lowers the training loss by less than this share


@dataclass(frozen=True)
class Skipped:
    """Why an easier model was not run."""

    reason: str


@dataclass(frozen=True)
class TrainingSample:
    """The training examples every easier model is compared on, with the user's model's scores."""

    x: Inputs
    y: torch.Tensor
    mine: SplitResult
    task: str
    confidence: float
    loss: LossFn | None = None  # the recipe's loss: every model is scored by it

    @classmethod
    def draw(
        cls, model: nn.Module, data: Data, task: str, confidence: float, seed: int, loss: LossFn | None = None
    ) -> TrainingSample:
        x, y = data.train.sample(MAX_EXAMPLES, seed)
        return cls(x, y, evaluate(model, TensorSplit("train", x, y), task, loss=loss), task, confidence, loss)

    def compare(
        self, name: str, kind: str, theirs: SplitResult, curve: tuple[float, ...] = ()
    ) -> EasierModelResult:
        return EasierModelResult(
            name=name,
            model_loss=self.mine.loss,
            baseline_loss=theirs.loss,
            model_error=self.mine.error,
            baseline_error=theirs.error,
            difference=paired_difference(self.mine.losses, theirs.losses, self.confidence),
            n=len(self.y),
            kind=kind,
            curve=curve,
        )

    def features(self) -> torch.Tensor | Skipped:
        """Flattened, standardised inputs for the models we build ourselves."""
        if not inputs.floating(self.x):
            return Skipped("inputs are integers (token ids); a model on their raw values means nothing")
        flat = flat_features(self.x)
        if flat.shape[1] > MAX_FEATURES:
            return Skipped(f"{flat.shape[1]} input features is too many for a flattened baseline")
        (standard,) = standardise(flat)
        return standard

    def outputs(self, num_classes: int | None) -> int:
        return num_classes if num_classes is not None else self.y.reshape(len(self.y), -1).shape[1]


@dataclass(frozen=True)
class LinearProbe:
    """A linear / logistic model on standardised flattened inputs, fitted once on the training sample
    (the convex easier model; the Bayes estimator cross-fits its own, since this one saw every label)."""

    features: torch.Tensor  # the training sample's inputs, flattened and standardised
    model: nn.Linear


def linear_probe(sample: TrainingSample, num_classes: int | None) -> LinearProbe | Skipped:
    features = sample.features()
    if isinstance(features, Skipped):
        return features
    linear = fit_linear(features, sample.y, sample.task, sample.outputs(num_classes))
    return LinearProbe(features, linear)


def convex(
    sample: TrainingSample, probe: LinearProbe | Skipped, inspection: Inspection | None, weight_decay: float
) -> EasierModelResult | Skipped:
    """Linear or logistic regression fitted to convergence by L-BFGS (see `linear_probe`).

    It decides an optimisation failure only when the user's network provably contains it: a
    network with no nonlinearity, no layer narrower than the outputs, no dropout, and no more
    weight decay than this fit's own L2.
    """
    if isinstance(probe, Skipped):
        return probe
    name = tasks.get(sample.task).linear_name
    out = tasks.get(sample.task).as_model_outputs(probe.model(probe.features).detach(), sample.y)
    result = sample.compare(name, "convex", _score(out, sample))
    why = _contains_linear(inspection, weight_decay, probe.model.out_features)
    return replace(result, decisive=why is None, qualifies=why or "your network is linear and contains it")


def _contains_linear(inspection: Inspection | None, weight_decay: float, outputs: int) -> str | None:
    """Why the user's network may not contain a linear model, or None when it does."""
    if inspection is None or not inspection.linear:
        return "reported only: your network is not linear, so a linear fit is not a version of it"
    if inspection.narrowest is not None and inspection.narrowest < outputs:
        return f"reported only: your linear network narrows to {inspection.narrowest} units, below the output"
    if inspection.dropout or weight_decay > L2:
        return "reported only: your network is regularised (dropout or weight decay) more than this fit"
    return None


def shallower(
    sample: TrainingSample, inspection: Inspection, recipe: Recipe, seed: int
) -> EasierModelResult | Skipped:
    """The user's own network with its middle hidden blocks dropped, trained to convergence.

    A block (a Linear or Conv layer and the parameter-free layers after it) may go when its output
    has its input's shape: the user's network represents the shorter one by making that block the
    identity, so the comparison is fair. Same layers (dropout included), same weight decay; Adam at
    1e-3 with the recipe's loss and precision, in rounds of the recipe's epochs until the loss levels off.
    """
    if inspection.chain is None:
        return Skipped("the model is not a plain chain of layers, so no shallower version can be cut from it")
    blocks = _blocks(inspection)
    droppable = [i for i, b in enumerate(blocks[1:-1], start=1) if b.keeps_shape]
    if not droppable:
        return Skipped("the network has no hidden block whose removal keeps the shapes; none can be dropped")
    kept = [m for i, b in enumerate(blocks) if i not in droppable for m in b.modules]
    torch.manual_seed(seed)
    net = nn.Sequential(*(copy.deepcopy(m) for m in kept)).to(sample.y.device)
    for module in net.modules():
        reset = getattr(module, "reset_parameters", None)
        if module is not net and callable(reset):
            reset()
    curve = _converge(net, sample, _plain_adam(recipe), seed)
    dropped = ", ".join(blocks[i].name for i in droppable)
    return replace(
        sample.compare(
            f"shallower version of your network (hidden blocks {dropped} dropped)",
            "shallower",
            evaluate(net, _split(sample.x, sample), sample.task, loss=sample.loss),
            curve,
        ),
        qualifies=(
            f"built from your own layers with blocks {dropped} dropped (each maps its input to the same"
            " shape, so your network represents this one by making them the identity: exactly for"
            " ReLU blocks after a ReLU, to any precision for smooth activations); same dropout and"
            f" weight decay ({recipe.weight_decay:g}); trained until its loss levelled off"
        ),
    )


@dataclass(frozen=True)
class _Block:
    name: str
    modules: tuple[nn.Module, ...]
    keeps_shape: bool


def _blocks(inspection: Inspection) -> list[_Block]:
    """The chain cut before each parametrised layer; the first block also holds what precedes it."""
    calls = inspection.calls
    starts = [i for i, c in enumerate(calls) if any(True for _ in c.module.parameters(recurse=False))]
    starts = [0, *starts[1:]] if starts else [0]
    bounds = [*starts, len(calls)]
    return [
        _Block(
            calls[a].name,
            tuple(c.module for c in calls[a:b]),
            _same_shape(calls[a].input, calls[b - 1].output),
        )
        for a, b in itertools.pairwise(bounds)
    ]


def _same_shape(first: torch.Tensor | None, last: torch.Tensor) -> bool:
    return first is not None and first.shape == last.shape


def _plain_adam(recipe: Recipe) -> Recipe:
    """The recipe's loss, precision and weight decay, optimised the plain way: constant-rate Adam."""
    return dataclasses.replace(
        recipe,
        optimizer="adam",
        optimizer_kwargs=None,
        lr=1e-3,
        beta=0.9,
        scheduler=None,
        grad_clip=None,
        accumulate=1,
        shuffle=True,
        early_stopping=None,
    )


def _converge(net: nn.Module, sample: TrainingSample, plain: Recipe, seed: int) -> tuple[float, ...]:
    """Train in rounds of the recipe's epochs until a round gains under CONVERGED of the loss."""
    data = _in_memory(sample.x, sample.y)
    curve: list[float] = []
    for _ in range(ROUNDS):
        history = fit(net, data, plain, seed=seed)
        losses = [r.train_loss for r in history.epochs]
        start = curve[-1] if curve else (losses[0] if losses else math.nan)
        curve += losses
        if not losses or not math.isfinite(losses[-1]) or losses[-1] > (1 - CONVERGED) * start:
            break
    return tuple(curve)


def recipe_baseline(
    sample: TrainingSample, recipe: Recipe, data: Data, device: torch.device, seed: int
) -> EasierModelResult | Skipped:
    """The recipe's `baseline=` model, trained with the recipe's own optimiser and settings."""
    if recipe.baseline is None:
        return Skipped("the recipe gives no baseline= model")
    net = build_model(recipe.replace(model=recipe.baseline), seed, device)
    history = fit(net, data, recipe, seed=seed)
    curve = tuple(r.train_loss for r in history.epochs)
    return sample.compare(
        "the recipe's baseline model",
        "recipe",
        evaluate(net, _split(sample.x, sample), sample.task, loss=sample.loss),
        curve,
    )


def fit_linear(x: torch.Tensor, y: torch.Tensor, task: str, outputs: int) -> nn.Linear:
    """A linear (logistic) model fitted to convergence by L-BFGS, lightly L2-regularised."""
    linear = nn.Linear(x.shape[1], outputs).to(x.device)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    optimizer = torch.optim.LBFGS(
        linear.parameters(), lr=1, max_iter=500, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = batch_loss(linear(x), y, task) + 0.5 * L2 * linear.weight.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return linear


def _score(out: torch.Tensor, sample: TrainingSample) -> SplitResult:
    losses, errors = per_example(out, sample.y, sample.task, sample.loss)
    return SplitResult(losses.double().cpu().numpy(), errors.double().cpu().numpy())


def _split(x: Inputs, sample: TrainingSample) -> TensorSplit:
    return TensorSplit("train", x, sample.y)


def _in_memory(features: Inputs, y: torch.Tensor) -> Data:
    """Training data for a baseline; train-dev and dev are token 64-example splits fit() reports on."""
    head = TensorSplit("train", inputs.index(features, slice(0, 64)), y[:64])
    return Data(TensorSplit("train", features, y), head, head, None, train_dev_carved=False)
