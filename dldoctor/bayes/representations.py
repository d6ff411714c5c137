"""Features to run neighbour estimators on, each honest about which examples it has seen.

- inputs: standardised raw inputs of train and train-dev (no model involved), their real-valued
  parts only: a multi-input model's integer inputs (token ids, row ids) are dropped. A view that
  drops information can only raise the Bayes error it shows, so it is still an over-estimate, and
  often a far better one than a trained model's view polluted by what it memorised;
- linear: a logistic / least-squares model's outputs on train and train-dev, cross-fitted: each
  point is read by a model fitted on the other folds, never on itself;
- kernel: an RBF kernel ridge model's outputs on the same points, cross-fitted the same way (see
  dldoctor.bayes.kernel) — a strong nonlinear comparator whose held-out error bounds the Bayes error;
- embedding: the trained model's penultimate layer (the input of its last Linear) on train-dev;
- outputs: the trained model's outputs on train-dev.
The trained model's features are read only on train-dev: it was fitted on train, and on points it
memorised every neighbour agrees and the estimate collapses towards zero. Reading train honestly
would mean training the model again per fold, which costs as much as the diagnosis itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dldoctor.baseline import MAX_FEATURES, fit_linear
from dldoctor.bayes import kernel
from dldoctor.data import Data, Split, choose_rows, flat_features, standardise
from dldoctor.errors import user_code
from dldoctor.inputs import Inputs, cat, forward, index, real_valued, rows
from dldoctor.training import per_example

MAX_POINTS = 10_000
EVAL_BATCH = 1024
FOLDS = 5  # the linear map of each point is fitted on the other 80 % of the points


@dataclass(frozen=True)
class Representation:
    """Features of examples with their targets; `held_out_errors`: per-example errors of the model
    that made the features, on examples it was not fitted to (where there is such a model).

    `ids` names each example the same way in every representation (see `example_ids`), so that a
    choice among representations can be made on some examples and read on the others.
    """

    name: str
    features: torch.Tensor  # (n, d) float32
    y: torch.Tensor
    held_out_errors: torch.Tensor | None = None
    ids: np.ndarray | None = None


def example_ids(split: str, rows: np.ndarray) -> np.ndarray:
    """One key per example across representations: train row i → 2i, train-dev row j → 2j + 1."""
    return 2 * rows.astype(np.int64) + (split == "train_dev")


def sampled_rows(split: Split, n: int, seed: int) -> np.ndarray:
    """The rows `split.sample(n, seed)` returns, in its order."""
    return np.arange(len(split)) if n >= len(split) else choose_rows(len(split), n, seed).numpy()


def training_points(data: Data, seed: int) -> tuple[Inputs, torch.Tensor, np.ndarray]:
    """Up to MAX_POINTS of the training distribution: train first, train-dev filling what is left;
    with their example ids."""
    x_train, y_train = data.train.sample(MAX_POINTS, seed)
    rest = max(0, MAX_POINTS - len(y_train))
    x_held, y_held = data.train_dev.sample(rest, seed)
    ids = np.concatenate(
        [
            example_ids("train", sampled_rows(data.train, MAX_POINTS, seed)),
            example_ids("train_dev", sampled_rows(data.train_dev, rest, seed)[: len(y_held)]),
        ]
    )
    return cat([x_train, x_held]), torch.cat([y_train, y_held]), ids


def inputs(data: Data, seed: int) -> Representation | str:
    """Standardised flattened real-valued inputs of train and train-dev together, or why there are none."""
    whole, y, ids = training_points(data, seed)
    x = real_valued(whole)
    if x is None:
        return "inputs are integers (token ids), not points with distances"
    (features,) = standardise(flat_features(x))
    if features.shape[1] == 0:
        return "every input feature is constant"
    return Representation("inputs", features, y, ids=ids)


def linear(data: Data, task: str, outputs: int, seed: int) -> Representation | str:
    """A linear (logistic / least-squares) model's outputs on train and train-dev, cross-fitted over
    FOLDS folds. The convex easier model's fit cannot be reused: it saw every training label."""
    return _fitted("linear", lambda features, seed: _linear_fit, data, task, outputs, seed)


def kernel_ridge(data: Data, task: str, outputs: int, seed: int) -> Representation | str:
    """An RBF kernel ridge model's outputs on train and train-dev, cross-fitted like `linear`."""
    return _fitted("kernel", kernel.fitter, data, task, outputs, seed)


def _fitted(
    name: str,
    make: Callable[[torch.Tensor, int], kernel.Fit],
    data: Data,
    task: str,
    outputs: int,
    seed: int,
) -> Representation | str:
    """A model's cross-fitted outputs on the standardised training points, with its held-out errors."""
    whole, y, ids = training_points(data, seed)
    x = real_valued(whole)
    if x is None:
        return "inputs are integers (token ids)"
    why = _unfit_reason(x, len(y))
    if why is not None:
        return why
    (features,) = standardise(flat_features(x))
    if features.shape[1] == 0:
        return "every input feature is constant"
    out = cross_fitted(features, y, task, outputs, seed, make(features, seed))
    return Representation(name, _centred(out, task), y, per_example(out, y, task)[1], ids)


def _unfit_reason(x: Inputs, n: int) -> str | None:
    if n < 4:
        return f"only {n} examples: too few to cross-fit"
    if flat_features(index(x, slice(0, 1))).shape[1] > MAX_FEATURES:
        return f"more than {MAX_FEATURES} input features: too costly to fit, and the model's views cover them"
    return None


def _linear_fit(
    x: torch.Tensor, y: torch.Tensor, task: str, outputs: int, rest: torch.Tensor
) -> kernel.Predict:
    model = fit_linear(x[rest], y[rest], task, outputs)
    return lambda held: model(x[held])


def cross_fitted(
    x: torch.Tensor, y: torch.Tensor, task: str, outputs: int, seed: int, fit: kernel.Fit
) -> torch.Tensor:
    """Each point's outputs from a model `fit` on the other folds (fewer folds for tiny n)."""
    folds = min(FOLDS, len(y) // 2)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed + 104_729)).to(x.device)
    out = torch.empty(len(y), outputs, device=x.device)
    for held in order.chunk(folds):
        rest = torch.ones(len(y), dtype=torch.bool, device=x.device)
        rest[held] = False
        predict = fit(x, y, task, outputs, rest)
        with torch.no_grad():
            out[held] = predict(held).reshape(len(held), outputs).to(out.dtype)
    return out


def model_views(model: nn.Module, data: Data, task: str, seed: int) -> list[Representation]:
    """The trained model's penultimate embedding and outputs on train-dev (no embedding without a Linear)."""
    x, y = data.train_dev.sample(MAX_POINTS, seed)
    embedding, out = forward_features(model, x)
    ids = example_ids("train_dev", sampled_rows(data.train_dev, MAX_POINTS, seed))
    return output_views(out, embedding, y, task, ids)


def output_views(
    out: torch.Tensor,
    embedding: torch.Tensor | None,
    y: torch.Tensor,
    task: str,
    ids: np.ndarray | None = None,
) -> list[Representation]:
    """Outputs (shift-free) and the standardised embedding of the same held-out examples, however
    obtained; `ids`: their example ids (by default, train-dev rows in order)."""
    keys = example_ids("train_dev", np.arange(len(y))) if ids is None else ids
    views = [Representation("outputs", _centred(out, task), y, ids=keys)]
    if embedding is not None:
        (standard,) = standardise(embedding)
        if standard.shape[1]:
            views.insert(0, Representation("embedding", standard, y, ids=keys))
    return views


def forward_features(model: nn.Module, x: Inputs) -> tuple[torch.Tensor | None, torch.Tensor]:
    """(input of the model's last Linear layer, or None without one; outputs), flattened, in eval mode.

    The embedding comes from a forward pre-hook, so any architecture whose head is a Linear works.
    """
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    seen: list[torch.Tensor] = []
    hook = last[-1].register_forward_pre_hook(lambda _, args: seen.append(args[0].detach())) if last else None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), user_code("the model's forward pass (reading its embedding)"):
            out = torch.cat(
                [forward(model, index(x, slice(i, i + EVAL_BATCH))) for i in range(0, rows(x), EVAL_BATCH)]
            )
    finally:
        model.train(was_training)
        if hook is not None:
            hook.remove()
    one_per_example = seen and sum(t.shape[0] for t in seen) == rows(x)  # not a per-timestep head
    embedding = flat_features(torch.cat(seen)) if one_per_example else None
    return embedding, flat_features(out)


def _centred(out: torch.Tensor, task: str) -> torch.Tensor:
    """Logits are defined up to a shift per example; remove it so distances mean something."""
    out = out.float()
    return out - out.mean(dim=1, keepdim=True) if task == "classification" else out
