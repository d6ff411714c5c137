"""What a task is: its default loss, its error metric and interval, its target and output checks.

Every module that used to branch on the task string asks the Task instead, so a new task is added
here, in one place. The string ("classification", "regression", "multilabel") stays what recipes,
reports and the CLI carry; `get(name)` turns it into the Task.

Multilabel's error is the per-label (Hamming) error: the share of (example, label) decisions that
are wrong. It is what the default loss optimises (binary cross-entropy sums one term per label), it
does not saturate as labels are added, and gaps in it add up over labels, so bias, variance and
mismatch decompose it as they do a misclassification rate. The exact-match error (an example counts
as wrong when any of its labels is) is reported beside it (see `Task.also`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from dldoctor.errors import DataError, ModelError, RecipeError, UsageError, defined_at, user_code
from dldoctor.stats import Estimate, mean_interval, wilson

if TYPE_CHECKING:
    import torch

LossFn = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]


class Task(ABC):
    """One kind of supervised problem. Subclasses say how its targets, outputs and errors look.

    Importing this module does not import torch (the verdict and the renderers read `rate`); the
    methods that compute on tensors import it when called."""

    name: ClassVar[str]
    rate: ClassVar[bool]  # the error is a rate in [0, 1]: shown in percent, gaps in points
    target_dtype: ClassVar[str]  # the torch dtype targets are stored in
    loss_name: ClassVar[str]  # the default loss, as the report names it
    error_name: ClassVar[str]  # the error metric, as the report names it
    linear_name: ClassVar[str]  # the convex model fitted by the task's own loss
    targets_word: ClassVar[str]  # what the user calls y
    uninformed_name: ClassVar[str]  # the loss of an uninformed start, as the report writes it
    # Probes that cannot read this task, and why (they are reported as skipped with the reason).
    skips: ClassVar[Mapping[str, str]] = {}

    @abstractmethod
    def targets(self, y: torch.Tensor, split: str) -> torch.Tensor:
        """Validated targets of one split (one-line DataError when unusable)."""

    @abstractmethod
    def check_output(self, out: torch.Tensor, y: torch.Tensor) -> int | None:
        """Raise ModelError when the model's output cannot be scored against `y`; return the class
        count the output implies (None when the targets fix the output's width)."""

    @abstractmethod
    def own_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The task's default loss per example."""

    @abstractmethod
    def mean_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The default loss's batch mean, through torch's fused reduction."""

    @abstractmethod
    def error(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The task's error per example (float, on the device)."""

    @abstractmethod
    def probabilities(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What a predictions file holds per example: class or label probabilities, or predictions."""

    def also(self, out: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Other per-example errors reported beside the task's own (none by default)."""
        return {}

    def per_example(
        self, out: torch.Tensor, y: torch.Tensor, loss: LossFn | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, error) per example: the recipe's loss when given (it changes only what is
        optimised), else the task's; the error is always the task's."""
        value = self.own_loss(out, y) if loss is None else user_loss(loss, out, y)
        return value, self.error(out, y)

    def batch_loss(self, out: torch.Tensor, y: torch.Tensor, loss: LossFn | None = None) -> torch.Tensor:
        """The mean training loss of a batch."""
        return self.mean_loss(out, y) if loss is None else user_loss(loss, out, y).mean()

    def as_model_outputs(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """dldoctor's own linear model's outputs in the shape a recipe's loss gets from the user's
        model (unchanged here; regression overrides)."""
        return out

    def error_estimate(self, errors: np.ndarray, confidence: float = 0.95) -> Estimate:
        """The error with its interval: bootstrap over examples (Wilson where errors are 0/1)."""
        return mean_interval(errors, confidence)

    def uninformed_loss(self, y: torch.Tensor, num_classes: int | None) -> float:
        """The default loss of a model that knows nothing yet (what a fresh model should start near)."""
        return float(y.float().var(dim=0, unbiased=False).mean())

    def chance_error(self, num_classes: int | None, variance: float) -> float | None:
        """The error of a blind guess: the mean for regression (its squared error is var(y))."""
        return variance

    def skip_reason(self, probe: str) -> str | None:
        """Why `probe` does not apply to this task, or None when it does."""
        return self.skips.get(probe)


class Classification(Task):
    name = "classification"
    rate = True
    target_dtype = "long"
    loss_name = "cross-entropy"
    error_name = "misclassification rate"
    linear_name = "logistic regression"
    targets_word = "labels"
    uninformed_name = "ln K"

    def targets(self, y: torch.Tensor, split: str) -> torch.Tensor:
        if y.dim() == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.dim() != 1:
            raise DataError(
                f"split '{split}': classification labels must be one integer per example,"
                f" got shape {tuple(y.shape)}; pass class indices, not one-hot rows"
                " (for several labels per example use task='multilabel')"
            )
        check_finite(y, split, "y")
        if y.is_floating_point() and not bool((y == y.round()).all()):
            raise DataError(
                f"split '{split}': classification labels must be integers (class indices),"
                " found fractional values; for real-valued targets use task='regression'"
            )
        if int(y.min()) < 0:
            raise DataError(f"split '{split}': label {int(y.min())} is negative; labels must lie in [0, K)")
        return y.long()

    def check_output(self, out: torch.Tensor, y: torch.Tensor) -> int | None:
        shape = tuple(out.shape)
        if out.dim() != 2 or shape[0] != len(y) or shape[1] < 2:
            raise ModelError(
                f"for classification the model must output (batch, classes) logits with at least"
                f" 2 classes; for a batch of {len(y)} it returned shape {shape}"
            )
        return shape[1]

    def own_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.cross_entropy(out, y, reduction="none")

    def mean_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.cross_entropy(out, y)

    def error(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (out.argmax(dim=1) != y).float()

    def probabilities(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return out.softmax(dim=1)

    def uninformed_loss(self, y: torch.Tensor, num_classes: int | None) -> float:
        """ln K: uniform class probabilities."""
        return math.log(num_classes) if num_classes else math.nan

    def chance_error(self, num_classes: int | None, variance: float) -> float | None:
        """1 − 1/K: a class guessed uniformly at random, whatever the class shares."""
        return 1 - 1 / num_classes if num_classes else None

    def error_estimate(self, errors: np.ndarray, confidence: float = 0.95) -> Estimate:
        """Wilson: the misclassification count is binomial."""
        errors = np.asarray(errors)
        return wilson(int(errors.sum()), int(errors.size), confidence)


class Regression(Task):
    name = "regression"
    rate = False
    target_dtype = "float32"
    loss_name = "mean squared error"
    error_name = "MSE"
    linear_name = "linear least squares"
    targets_word = "targets"
    uninformed_name = "var(y)"

    def targets(self, y: torch.Tensor, split: str) -> torch.Tensor:
        y = y.float()
        check_finite(y, split, "y")
        return y

    def check_output(self, out: torch.Tensor, y: torch.Tensor) -> int | None:
        if out.numel() != y.numel() or out.shape[0] != len(y):
            raise ModelError(
                f"for regression the model's output must match the targets: for targets of shape"
                f" {tuple(y.shape)} it returned shape {tuple(out.shape)}"
            )
        return None

    def own_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.error(out, y)

    def as_model_outputs(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Shaped as the targets: a model that passed `check_output` returns one prediction per
        target, and a loss written for (N,) targets breaks on the linear model's (N, 1)."""
        return out.reshape(y.shape)

    def mean_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.mse_loss(out.reshape(y.shape), y)

    def error(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        squared = (out.reshape(y.shape).float() - y).square()
        return squared.reshape(squared.shape[0], -1).mean(dim=1)

    def probabilities(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return out.reshape(y.shape)


class Multilabel(Task):
    """Several yes/no labels per example: logits out, a 0/1 target matrix, sigmoid probabilities."""

    name = "multilabel"
    rate = True
    target_dtype = "float32"
    loss_name = "binary cross-entropy"
    error_name = "per-label error"
    linear_name = "per-label logistic regression"
    targets_word = "labels"
    uninformed_name = "ln 2"
    skips: ClassVar[Mapping[str, str]] = {
        "error_analysis": "not written for multilabel yet (its tables read one label per example)",
    }

    def targets(self, y: torch.Tensor, split: str) -> torch.Tensor:
        if y.dim() == 1:
            y = y[:, None]
        if y.dim() != 2:
            raise DataError(
                f"split '{split}': multilabel targets must be a 0/1 matrix (examples, labels),"
                f" got shape {tuple(y.shape)}"
            )
        y = y.float()
        if not bool(((y == 0) | (y == 1)).all()):
            raise DataError(
                f"split '{split}': multilabel targets must be 0 or 1 (label absent or present), found"
                " other values; for class indices use task='classification'"
            )
        return y

    def check_output(self, out: torch.Tensor, y: torch.Tensor) -> int | None:
        if tuple(out.shape) != tuple(y.shape):
            raise ModelError(
                f"for multilabel the model must output one logit per label, (batch, labels) ="
                f" {tuple(y.shape)}; it returned shape {tuple(out.shape)}"
            )
        return None

    def own_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.binary_cross_entropy_with_logits(out, y, reduction="none").mean(dim=1)

    def mean_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.binary_cross_entropy_with_logits(out, y)

    def error(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((out > 0).float() != y).float().mean(dim=1)

    def probabilities(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return out.sigmoid()

    def uninformed_loss(self, y: torch.Tensor, num_classes: int | None) -> float:
        """ln 2: every logit at zero, each label's probability ½."""
        return math.log(2)

    def chance_error(self, num_classes: int | None, variance: float) -> float | None:
        """½: each label guessed by a coin."""
        return 0.5

    def also(self, out: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Exact-match error: wrong when any label is."""
        return {"exact_match": ((out > 0).float() != y).any(dim=1).float()}


TASKS: dict[str, Task] = {t.name: t for t in (Classification(), Regression(), Multilabel())}


def get(name: str) -> Task:
    """The Task called `name` (a one-line error naming the known ones otherwise)."""
    task = TASKS.get(name)
    if task is None:
        raise UsageError(f"unknown task {name!r}; use one of {', '.join(TASKS)}")
    return task


def user_loss(loss: LossFn, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The recipe's loss, checked to give one value per example (a shape check only: no host
    synchronisation)."""
    import torch

    with user_code("the recipe's loss"):
        values = loss(out, y)
    if not isinstance(values, torch.Tensor) or tuple(values.shape) != (out.shape[0],):
        shape = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise RecipeError(
            f"the recipe's loss{defined_at(loss)} returned {shape} for a batch of {out.shape[0]}:"
            " return one loss per example (reduction='none'); dldoctor takes the mean"
        )
    return values.float()


def check_finite(t: torch.Tensor, split: str, role: str) -> None:
    """A one-line DataError naming how many examples hold NaN or infinite values."""
    import torch

    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).reshape(t.shape[0], -1).any(dim=1).sum())
        raise DataError(
            f"split '{split}': {role} contains NaN or infinite values in {bad} of {t.shape[0]}"
            " examples; clean or impute them before training"
        )
