"""What a diagnosis reads and what it concludes: plain data, no torch, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dldoctor.stats import Estimate

PROBLEMS = ("high_bias", "high_variance", "data_mismatch", "dev_overfit", "optimization_failure")
KINDS = (*PROBLEMS, "inconclusive")
VERDICTS = ("healthy", *KINDS)
SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True)
class EasierModelResult:
    """Training losses of the user's model and of an easier-to-optimise one, on the same examples."""

    name: str
    model_loss: float
    baseline_loss: float
    model_error: float
    baseline_error: float
    difference: Estimate  # model loss − baseline loss, paired; > 0 means the baseline fits better
    n: int


@dataclass(frozen=True)
class TrainingSignals:
    """The loss trajectory: enough to spot divergence and a model still learning at the end."""

    initial_loss: float
    final_loss: float  # eval-mode training loss after the last epoch
    epoch_losses: tuple[float, ...]  # running training loss per epoch
    dev_errors: tuple[float, ...]
    nonfinite_step: int | None = None
    steps_per_epoch: int = 1


@dataclass(frozen=True)
class Setup:
    """The recipe's training choices, quoted back in advice."""

    optimizer: str
    lr: float
    beta: float
    batch_size: int
    epochs: int
    weight_decay: float
    n_train: int


@dataclass(frozen=True)
class Evidence:
    """Everything measured in one run. `scale` is the unit of materiality (1, or var(y))."""

    task: str
    scale: float
    errors: dict[str, Estimate]  # train, train_dev, dev and, when given, test
    bayes: Estimate | None
    training: TrainingSignals
    setup: Setup
    easier_model: EasierModelResult | None = None


@dataclass(frozen=True)
class Policy:
    """How strict the diagnosis is. `min_gap` is in units of Evidence.scale."""

    confidence: float = 0.95
    min_gap: float = 0.01
    target_error: float | None = None


@dataclass(frozen=True)
class Gap:
    """One term of the error decomposition, `upper` − `lower`, with its interval."""

    name: str
    upper: str
    lower: str
    estimate: Estimate
    significant: bool  # the interval excludes zero
    material: bool  # the point estimate is at least the materiality threshold
    widen: float = 1.0  # factor applied to the ends' intervals to make all gaps' intervals simultaneous


@dataclass(frozen=True)
class Finding:
    """A problem (or an honest 'cannot tell'), the numbers behind it and what to do about it."""

    kind: str
    severity: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    advice: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    reason: str
    findings: list[Finding]
    gaps: dict[str, Gap]
