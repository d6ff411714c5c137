"""The report as plain data: the one model that every renderer, the gates and the stored-report
reader take. Torch-free, so `dldoctor report` re-renders a stored file without importing torch.

Its fields are the JSON report's top-level keys (schema-1.json), in the order they are written;
`to_dict()` writes the JSON form and `from_dict()` reads it back. A fresh run's Report reaches its
ReportData through that JSON form (Report.data()), so a fresh report and its stored copy render
alike, by construction.

Adding a field: give it a default here (what a report written before it reads as), set it where
the live Report builds its ReportData (dldoctor.report.Report._model), and describe it in
schema-1.json — tests/test_report_model.py fails until model and schema agree. A section typed by
a dataclass is written field by field and read back from its type hints, so a new field of such a
dataclass (Setup, RangeTest, ErrorAnalysis, ...) needs only its schema entry; one whose JSON form
differs from its fields (Settings, GateReport) has its own to_dict and from_dict. A value computed
from others and written only for readers goes in DERIVED. A probe whose result the verdict does not
read needs no field: it returns a ProbeSection (its numbers and the lines renderers show) into
`sections`.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields, is_dataclass
from typing import Any

from dldoctor.diagnosis.evidence import (
    Bracket,
    CriticalPoint,
    Duplicates,
    EasierModelResult,
    EpochRecord,
    Finding,
    GradientHealth,
    LearningCurve,
    MismatchTest,
    ModelCheck,
    Policy,
    RangeTest,
    Regimen,
    SanityChecks,
    Setup,
)
from dldoctor.diagnosis.gaps import GAP_SPECS
from dldoctor.diagnosis.probes import ProbeOutcome, critical_verdict
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.error_analysis.slices import Slices
from dldoctor.gates.results import GateReport
from dldoctor.stats import Estimate, Interval, as_estimate

SCHEMA = 1
ERROR_NAMES = ("bayes", "train", "train_dev", "dev", "test")
# The steps between adjacent errors (Bayes → train → train-dev → dev → test): the decomposition
# the Markdown summary, the plots and the gates show; the terminal shows every gap.
STEPS = tuple(
    spec.name
    for spec in GAP_SPECS
    if spec.lower in ERROR_NAMES
    and spec.upper in ERROR_NAMES
    and ERROR_NAMES.index(spec.upper) == ERROR_NAMES.index(spec.lower) + 1
)
CARVED = "carved from train"


@dataclass(frozen=True)
class Flags:
    """How the diagnosis judged one gap; `judgement` is the one reading every renderer shows."""

    significant: bool = False  # its interval excludes zero
    material: bool = False  # at least the smallest gap that matters

    @property
    def judgement(self) -> str:
        if self.significant and self.material:
            return "problem"
        if self.material:
            return "could be noise"
        return "real, too small" if self.significant else "none"


@dataclass(frozen=True)
class Settings:
    """How the run was set up (the recipe's choices), seeded and judged; one flat object in JSON."""

    setup: Setup
    seed: int
    policy: Policy
    scale: float = 1.0  # the unit of --min-gap: 1 for error rates, var(y_train) for MSE

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self.setup), "seed": self.seed, **_plain(self.policy), "scale": self.scale}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return cls(_read(Setup, data), data["seed"], _read(Policy, data), data.get("scale", 1.0))


@dataclass(frozen=True)
class FoldErrors:
    """--folds: the cross-validated errors with their intervals, and each fold's errors."""

    folds: int
    errors: dict[str, float | None]
    intervals: dict[str, Interval]
    per_fold: tuple[dict[str, float], ...] = ()

    def estimate(self, split: str) -> Estimate | None:
        return as_estimate(self.errors.get(split), self.intervals.get(split))


@dataclass(frozen=True)
class ProbeSection:
    """A probe's own part of the report, which the verdict does not read: `values` are its numbers
    (that probe's JSON contract) and `lines` what every renderer shows under `title` — written by
    the probe, so a new probe needs no field here and no change to any renderer."""

    title: str
    lines: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportData:
    """Everything a report holds, as its JSON form holds it (schema 1); defaults are what a report
    written before a field existed reads as."""

    schema: int = SCHEMA
    recipe: str = ""
    source: str = "recipe"  # the entry point: "recipe" (diagnose), "monitor" or "predictions"
    task: str = "classification"
    verdict: str = "inconclusive"
    reason: str = ""
    errors: dict[str, float | None] = field(default_factory=dict)  # ERROR_NAMES; None: not measured
    intervals: dict[str, Interval | None] = field(default_factory=dict)
    interval_methods: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int | None] = field(default_factory=dict)
    train_dev_source: str = "given"
    bayes_source: str = "unavailable"
    bayes_method: str = ""
    bayes_interval: Interval | None = None
    bayes_details: dict[str, Any] = field(default_factory=dict)
    bayes_warning: str | None = None
    bayes_bracket: Bracket | None = None
    gaps: dict[str, float | None] = field(default_factory=dict)  # every GAP_SPECS name
    gap_intervals: dict[str, Interval | None] = field(default_factory=dict)
    gap_flags: dict[str, Flags] = field(default_factory=dict)  # the gaps the diagnosis computed
    findings: tuple[Finding, ...] = ()
    easier_models: tuple[EasierModelResult, ...] = ()
    probes: tuple[ProbeOutcome, ...] = ()
    sanity: SanityChecks | None = None
    gradients: GradientHealth | None = None
    critical_point: CriticalPoint | None = None
    lr_range_test: RangeTest | None = None
    mismatch_test: MismatchTest | None = None
    learning_curve: LearningCurve | None = None
    cross_validation: FoldErrors | None = None
    model_checks: tuple[ModelCheck, ...] = ()
    leakage: tuple[Duplicates, ...] = ()
    total_excess: float | None = None
    recoverable_variance: float | None = None
    error_analysis: ErrorAnalysis | None = None  # as ErrorAnalysis.reported() trims it
    regimen: Regimen | None = None
    best_epoch: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # probe -> why it did not run
    probe_failures: dict[str, str] = field(default_factory=dict)  # probe -> the error it raised
    sections: dict[str, ProbeSection] = field(default_factory=dict)  # probe -> its own section
    warnings: tuple[str, ...] = ()
    history: tuple[EpochRecord, ...] = ()
    initial_loss: float = math.nan
    nonfinite_step: int | None = None
    settings: Settings = field(
        default_factory=lambda: Settings(Setup("", 0.0, 0.0, 1, 1, 0.0, 0), 0, Policy())
    )
    device: str = ""
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    description: str = ""
    bayes_size: int | None = None  # examples the Bayes estimate was computed on
    other_errors: dict[str, dict[str, float | None]] = field(default_factory=dict)  # metric -> split -> error
    check: GateReport | None = None  # `check` only

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (strict JSON: a non-finite number is written as null)."""
        plain = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        if self.check is None:
            del plain["check"]
        return _finite(plain)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportData:
        """Read a JSON report back; a key it lacks (an older report) takes the field's default."""
        return _read(cls, data)

    @property
    def setup(self) -> Setup:
        return self.settings.setup

    @property
    def policy(self) -> Policy:
        return self.settings.policy

    @property
    def train_dev_carved(self) -> bool:
        return self.train_dev_source == CARVED

    @property
    def materiality(self) -> float:
        """The smallest gap that matters, in the errors' units."""
        return self.policy.min_gap * self.settings.scale

    def error(self, split: str) -> Estimate | None:
        """A split's error with its interval; None when the run has no interval for it."""
        return as_estimate(self.errors.get(split), self.intervals.get(split))

    def gap(self, name: str) -> Estimate | None:
        return as_estimate(self.gaps.get(name), self.gap_intervals.get(name))

    def flags(self, name: str) -> Flags:
        return self.gap_flags.get(name, Flags())

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


def best_dev_epoch(history: tuple[EpochRecord, ...]) -> EpochRecord | None:
    """The epoch with the lowest dev error (the first of equals); None when no epoch has a finite one."""
    scored = [e for e in history if math.isfinite(e.dev_error)]
    return min(scored, key=lambda e: e.dev_error) if scored else None


# Values written beside a section's fields, computed from them, for readers of the JSON.
DERIVED: dict[type, dict[str, Callable[[Any], Any]]] = {
    CriticalPoint: {"verdict": critical_verdict, "minimum_ratio": lambda cp: 1 - cp.negative_share},
    Duplicates: {"share": lambda d: d.share},
    Slices: {"worst": lambda s: s.worst},
}


def _plain(obj: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON values: a section's own `to_dict`, else dataclasses.asdict
    less the fields marked `reported: False`, plus DERIVED."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if is_dataclass(obj) and not isinstance(obj, type):
        plain = {f.name: _plain(getattr(obj, f.name)) for f in fields(obj) if reported(f)}
        return plain | {key: _plain(value(obj)) for key, value in DERIVED.get(type(obj), {}).items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def reported(f: Field[Any]) -> bool:
    """Whether a section's field is written to the report (a live-only field is not)."""
    return f.metadata.get("reported", True)


def _finite(obj: Any) -> Any:
    """JSON has no NaN or infinity: a diverged run's numbers become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _read(kind: Any, value: Any) -> Any:
    """`value` (JSON) as `kind` (a type hint): dataclasses field by field, containers item by item.

    A float field that JSON holds as null was not finite: it reads as NaN and is written as null again.
    """
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)] or [Any]
        return _read(inner, value)
    if is_dataclass(kind) and isinstance(kind, type):
        if hasattr(kind, "from_dict") and kind is not ReportData:
            return kind.from_dict(value)
        hints = typing.get_type_hints(kind)
        given = {f.name: _read(hints[f.name], value[f.name]) for f in fields(kind) if f.name in value}
        return kind(**given)
    if origin is tuple:
        return tuple(_read(args[0], v) for v in value)
    if origin is list:
        return [_read(args[0], v) for v in value]
    if origin is dict:
        key, item = args
        return {(int(k) if key is int else k): _read(item, v) for k, v in value.items()}
    if kind is float and value is None:
        return math.nan
    return value
