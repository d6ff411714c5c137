"""The easier-model test: models easier to optimise than the user's, on the same training inputs.

If a model that is *easier to optimise and no more capable* reaches a lower *training* loss than the
user's network, the network's high training error is an optimisation failure, not a lack of
capacity: more layers would not help, a better optimiser set-up would. Three easier models:
- convex: linear / logistic regression on flattened, standardised inputs, fitted to convergence
  by L-BFGS (always; it costs less than one epoch);
- shallow: one hidden ReLU layer with no more parameters than the user's model, trained with Adam
  for the recipe's epochs (only when training error is high — it costs a training run);
- recipe: the recipe's own `baseline=` model (a shallower sibling), trained exactly like the
  user's model (same condition).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from dldoctor.data import Data, TensorSplit, flat_features, standardise
from dldoctor.diagnosis.evidence import EasierModelResult
from dldoctor.recipe import Recipe
from dldoctor.stats import paired_difference
from dldoctor.training import LossFn, SplitResult, batch_loss, build_model, evaluate, fit, per_example

MAX_EXAMPLES = 20_000
MAX_FEATURES = 10_000
MAX_WIDTH = 256
L2 = 1e-4


@dataclass(frozen=True)
class Skipped:
    """Why an easier model was not run."""

    reason: str


@dataclass(frozen=True)
class TrainingSample:
    """The training examples every easier model is compared on, with the user's model's scores."""

    x: torch.Tensor
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
        if not self.x.is_floating_point():
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
    """A linear / logistic model on standardised flattened inputs, fitted once on the training sample.

    Two readers share the one L-BFGS fit: the convex easier model (its training loss) and the Bayes
    estimator's linear representation (its outputs on train-dev).
    """

    reference: torch.Tensor  # flattened training inputs: the standardisation's mean and spread
    features: torch.Tensor  # the same, standardised
    model: nn.Linear

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The model's outputs on new inputs, standardised like the training sample."""
        return self.model(standardise(self.reference, flat_features(x))[1])


def linear_probe(sample: TrainingSample, num_classes: int | None) -> LinearProbe | Skipped:
    features = sample.features()
    if isinstance(features, Skipped):
        return features
    linear = fit_linear(features, sample.y, sample.task, sample.outputs(num_classes))
    return LinearProbe(flat_features(sample.x), features, linear)


def convex(sample: TrainingSample, probe: LinearProbe | Skipped) -> EasierModelResult | Skipped:
    """Linear or logistic regression fitted to convergence by L-BFGS (see `linear_probe`)."""
    if isinstance(probe, Skipped):
        return probe
    name = "logistic regression" if sample.task == "classification" else "linear least squares"
    return sample.compare(name, "convex", _score(probe.model(probe.features).detach(), sample))


def shallow(
    sample: TrainingSample, model: nn.Module, recipe: Recipe, num_classes: int | None, seed: int
) -> EasierModelResult | Skipped:
    """One hidden ReLU layer, no more parameters than `model`, trained by plain Adam (constant rate,
    no clipping) for the recipe's epochs, with the recipe's loss and precision."""
    features = sample.features()
    if isinstance(features, Skipped):
        return features
    outputs = sample.outputs(num_classes)
    budget = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = min(MAX_WIDTH, (budget - outputs) // (features.shape[1] + 1 + outputs))
    if width < 1:
        return Skipped("the model has too few parameters for a one-hidden-layer baseline")
    net = nn.Sequential(nn.Linear(features.shape[1], width), nn.ReLU(), nn.Linear(width, outputs))
    plain = dataclasses.replace(
        recipe,
        optimizer="adam",
        optimizer_kwargs=None,
        lr=1e-3,
        beta=0.9,
        weight_decay=0.0,
        scheduler=None,
        grad_clip=None,
        accumulate=1,
        shuffle=True,
        early_stopping=None,
    )
    torch.manual_seed(seed)
    net = net.to(features.device)
    history = fit(net, _in_memory(features, sample.y), plain, seed=seed)
    curve = tuple(r.train_loss for r in history.epochs)
    return sample.compare(
        f"one-hidden-layer MLP ({width} units)",
        "shallow",
        evaluate(net, _split(features, sample), sample.task, loss=sample.loss),
        curve,
    )


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


def _split(x: torch.Tensor, sample: TrainingSample) -> TensorSplit:
    return TensorSplit("train", x, sample.y)


def _in_memory(features: torch.Tensor, y: torch.Tensor) -> Data:
    """Training data for a baseline; train-dev and dev are token 64-example splits fit() reports on."""
    head = TensorSplit("train", features[:64], y[:64])
    return Data(TensorSplit("train", features, y), head, head, None, train_dev_carved=False)
