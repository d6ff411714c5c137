"""What a diagnosis reads and what it concludes: plain data, no torch, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dldoctor.stats import Estimate

PROBLEMS = (
    "high_bias",
    "high_variance",
    "data_mismatch",
    "dev_overfit",
    "optimization_failure",
    "data_leakage",
)
KINDS = (*PROBLEMS, "inconclusive")
VERDICTS = ("healthy", *KINDS)
SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True)
class EasierModelResult:
    """Training losses of the user's model and of an easier-to-optimise one, on the same examples.

    `kind` is "convex" (linear/logistic fitted to convergence), "shallow" (one hidden layer, no
    more parameters than the user's model) or "recipe" (the recipe's own `baseline=` model);
    `curve` is the easier model's training loss per epoch where it was trained by epochs.
    """

    name: str
    model_loss: float
    baseline_loss: float
    model_error: float
    baseline_error: float
    difference: Estimate  # model loss − baseline loss, paired; > 0 means the baseline fits better
    n: int
    kind: str = "convex"
    curve: tuple[float, ...] = ()
    decisive: bool = True  # the user's network can represent this model, so it may decide a failure
    qualifies: str = ""  # why it is (or is not) a fair comparison for the user's network


@dataclass(frozen=True)
class ModelCheck:
    """One static reading of the model itself (its layers and one forward pass on a few examples).

    `capacity` marks a fault that limits what the network can fit: it names high bias, with its
    own remedy, and rules out reading the training error as an optimisation failure. `setup` marks
    a fault in how the model meets its loss that slows the optimiser without capping the fit (the
    argmax is unchanged, the gradient is not): with high training error it names an optimisation failure.
    """

    check: str  # e.g. "linear_stack", "bottleneck", "output_squashed", "output_range", "position_blind"
    summary: str
    remedy: str
    capacity: bool = True
    numbers: dict[str, Any] = field(default_factory=dict)
    setup: bool = False


@dataclass(frozen=True)
class Duplicates:
    """Inputs of a query set that also sit in a reference set, exactly or nearly."""

    query: str  # the split searched, e.g. "dev"
    reference: str  # e.g. "train"
    n_query: int
    n_reference: int
    exact: int  # query rows identical to some reference row
    near: int  # further query rows within `radius` of a reference row
    radius: float  # in standardised input units (Euclidean)
    typical: float  # median nearest-neighbour distance within the reference set
    pairs: tuple[tuple[int, int], ...] = ()  # (query index, reference index), at most a sample
    # of `nearer_of` sampled query rows, how many lie nearer their nearest reference row than train-dev's
    # median row does: about half when the query is drawn like train-dev (None: not measured)
    nearer: int | None = None
    nearer_of: int = 0

    @property
    def share(self) -> float:
        return (self.exact + self.near) / max(1, self.n_query)


@dataclass(frozen=True)
class LayerHealth:
    name: str
    grad_norm: float  # median over sampled steps
    update_ratio: float  # median |Δw| / |w| per step


@dataclass(frozen=True)
class GradientHealth:
    """Medians over the sampled training steps; None where the model has nothing to measure."""

    samples: int
    first_last_ratio: float | None  # |grad| of the first layer run / |grad| of the last
    update_ratio: float | None  # largest per-layer median of |Δw| / |w| per step
    dead_relu: float | None  # share of ReLU units silent on every example of a probe batch
    saturation: float | None  # share of sigmoid/tanh inputs in the flat tails
    layers: tuple[LayerHealth, ...] = ()
    nonfinite_origin: str | None = None
    clip_norm: float | None = None  # 90th percentile of the sampled total gradient norms


@dataclass(frozen=True)
class SanityChecks:
    """Checks before training: the loss at initialisation, and a fresh model on one small batch."""

    initial_loss: float
    expected_initial_loss: float  # ln K, or var(y): what an uninformed model scores
    batch_size: int
    batch_start_loss: float
    batch_final_loss: float
    batch_steps: int
    linear_batch_loss: float | None  # a linear model fitted to the same batch
    zeroed_final_loss: float | None  # the same model trained on that batch with inputs zeroed


@dataclass(frozen=True)
class CriticalPoint:
    """Curvature of the training loss where training ended (eval mode, a fixed batch)."""

    loss: float
    grad_norm: float
    lambda_max: float
    lambda_min: float
    negative_share: float  # share of the spectrum below -tolerance (stochastic Lanczos quadrature)
    examples: int
    iterations: int
    seconds: float


@dataclass(frozen=True)
class RangeTest:
    """A learning-rate range test: the loss while the learning rate grows exponentially."""

    lrs: tuple[float, ...]
    losses: tuple[float, ...]  # smoothed
    suggested_lr: float | None  # None when no rate in the sweep made the loss fall materially
    steepest_lr: float
    min_loss_lr: float
    optimizer: str


@dataclass(frozen=True)
class MismatchTest:
    """A two-sample test of train-dev against dev on the model's embedding (or outputs).

    `mmd2` is the squared maximum mean discrepancy (RBF kernel, median-heuristic `bandwidth`, on
    standardised features); `mmd` its square root, the effect size (0 = same distribution, at most
    sqrt(2)); `p_value` from `permutations` random relabellings of the pooled sample.
    """

    mmd2: float
    p_value: float
    mmd: float
    n_train_dev: int
    n_dev: int
    permutations: int
    bandwidth: float
    representation: str
    method: str = "MMD, RBF kernel (median heuristic), permutation p-value"


@dataclass(frozen=True)
class LearningCurve:
    """Dev error of the recipe retrained on growing subsets of train, and e(n) = c + a·n^(−b) fitted to it.

    `predicted` maps a multiple of today's training-set size (2, 10) to the fitted dev error there;
    empty when the fit failed. `helps`: the fit predicts a material drop at 10× the data.
    """

    sizes: tuple[int, ...]
    dev_errors: tuple[float, ...]
    train_errors: tuple[float, ...]
    c: float | None
    a: float | None
    b: float | None
    predicted: dict[int, float]
    helps: bool | None
    threshold: float  # the drop that counts as material, in the errors' units


@dataclass(frozen=True)
class TrainingSignals:
    """The loss trajectory: enough to spot divergence and a model still learning at the end."""

    initial_loss: float
    final_loss: float  # eval-mode training loss after the last epoch
    epoch_losses: tuple[float, ...]  # running training loss per epoch
    dev_errors: tuple[float, ...]
    nonfinite_step: int | None = None
    steps_per_epoch: int = 1
    step_losses: tuple[float, ...] = ()


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did. `train_loss`/`train_error` are running means in training mode."""

    epoch: int
    train_loss: float
    train_error: float
    train_dev_error: float
    dev_error: float
    dev_loss: float
    seconds: float


@dataclass(frozen=True)
class Bracket:
    """Where the Bayes error lies, from evidence other than the point estimate.

    lower: the Cover–Hart bound from the 1-NN error on the chosen representation (classification), or
    the chosen estimate's interval low end (regression: no such bound); never above the estimate.
    upper: the lowest upper confidence bound of a held-out error of any model the run trained (each
    error is unbiased for an error that no model can beat).
    """

    lower: float
    upper: float | None
    lower_source: str
    upper_source: str | None


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
    scheduler: str | None = None  # a schedule's name, or the user's function's
    loss: str | None = None  # None: the task's own loss
    grad_clip: float | None = None
    precision: str = "fp32"
    accumulate: int = 1
    shuffle: bool = True
    early_stopping: int | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything measured in one run. `scale` is the unit of materiality (1, or var(y))."""

    task: str
    scale: float
    errors: dict[str, Estimate]  # train, train_dev, dev and, when given, test
    bayes: Estimate | None
    training: TrainingSignals
    setup: Setup
    easier_models: tuple[EasierModelResult, ...] = ()
    sanity: SanityChecks | None = None
    gradients: GradientHealth | None = None
    critical_point: CriticalPoint | None = None
    range_test: RangeTest | None = None
    mismatch: MismatchTest | None = None
    learning_curve: LearningCurve | None = None
    regimen: Regimen | None = None
    model_checks: tuple[ModelCheck, ...] = ()
    leakage: tuple[Duplicates, ...] = ()  # dev, test and train-dev inputs found in train
    chance_error: float | None = None  # the error of a blind guess (1 − 1/K; var(y) for regression)


@dataclass(frozen=True)
class Regimen:
    """How the recipe trained, as measured: the schedule it ran, how often clipping bound, fp16 steps
    the grad scaler skipped, the order batches came in, and how the recipe's loss behaves.

    Shares of the run count optimiser steps. `label_order`: 0 for a random order of training labels,
    1 for sorted. `loss_batch_scaling`: mean per-example loss of the same examples scored inside a
    batch twice as large over scored alone (1 when the loss is per-example, 2 when it sums the batch).
    """

    optimizer_steps: int
    lr: float
    lr_peak: float
    lr_final: float
    decayed_at: float | None  # share of the run after which the rate stayed near zero
    warmup: bool  # the first step's rate was well below the peak
    diverged_at: float | None  # share of the run at the first non-finite loss
    grad_clip: float | None
    clipped_share: float | None  # share of measured steps whose gradient norm exceeded grad_clip
    clip_factor: float | None  # median of min(1, grad_clip / norm): the step taken over the one asked for
    scale_free: (
        bool | None
    )  # the optimiser divides out the gradient's scale (Adam, RMSprop, ...); None: unknown
    precision: str
    overflow_steps: int  # fp16: steps the grad scaler skipped (non-finite gradients)
    underflow_steps: int  # fp16: steps whose gradient was exactly zero
    measured_steps: int  # steps with a measured gradient norm (clipping or fp16 only)
    effective_batch: int  # batch_size × accumulate
    n_train: int
    shuffle: bool
    label_order: float | None
    custom_loss: bool
    initial_loss: float  # the recipe's loss at initialisation
    initial_task_loss: float | None  # the task's own loss at initialisation, when the recipe's differs
    loss_batch_scaling: float | None


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
    below: bool = False  # the interval lies wholly below zero: the step goes the wrong way
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
    probes: list = field(default_factory=list)  # ProbeOutcome for every probe that had data
