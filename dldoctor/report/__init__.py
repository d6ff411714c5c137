"""The report of one diagnosis run, and its JSON form (schema 1)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dldoctor.diagnosis import (
    CriticalPoint,
    Diagnosis,
    Duplicates,
    EasierModelResult,
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
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.outputs import check_file, write_text
from dldoctor.report.model import (
    CARVED,
    ERROR_NAMES,
    SCHEMA,
    Flags,
    FoldErrors,
    ProbeSection,
    ReportData,
    Settings,
)
from dldoctor.stats import Estimate, Interval

if TYPE_CHECKING:  # torch-backed types: a stored report is read and rendered without importing torch
    from dldoctor.bayes import BayesEstimate
    from dldoctor.folds import CrossValidation
    from dldoctor.training import History

__all__ = ["ERROR_NAMES", "SCHEMA", "Report", "ReportData", "write_json"]


@dataclass
class Report:
    """Everything one `diagnose` run found; `to_dict()` is the JSON contract."""

    recipe: str
    task: str
    diagnosis: Diagnosis
    errors: dict[str, Estimate]
    bayes: BayesEstimate
    history: History
    setup: Setup
    policy: Policy
    seed: int
    device: str
    seconds: float
    train_dev_carved: bool
    scale: float = 1.0  # the unit of --min-gap: 1 for error rates, var(y_train) for MSE
    easier_models: tuple[EasierModelResult, ...] = ()
    sanity: SanityChecks | None = None
    gradients: GradientHealth | None = None
    critical_point: CriticalPoint | None = None
    range_test: RangeTest | None = None
    mismatch: MismatchTest | None = None  # train-dev vs dev two-sample test
    learning_curve: LearningCurve | None = None
    cross_validation: CrossValidation | None = None  # --folds
    model_checks: tuple[ModelCheck, ...] = ()  # static checks of the model that fired
    leakage: tuple[Duplicates, ...] = ()  # dev/test inputs found in train
    error_analysis: ErrorAnalysis | None = None
    regimen: Regimen | None = None  # how the recipe trained: schedule, clipping, fp16, order, loss
    skipped: dict[str, str] = field(default_factory=dict)  # probe -> why it did not run
    probe_failures: dict[str, str] = field(default_factory=dict)  # probe -> the error it raised
    sections: dict[str, ProbeSection] = field(default_factory=dict)  # probe -> its own section
    warnings: list[str] = field(default_factory=list)  # about the setup, e.g. a batch larger than train
    description: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    source: str = "recipe"  # the entry point: "recipe" (diagnose), "monitor" or "predictions"
    # The task's other errors, reported beside its own (multilabel: exact match): metric -> split -> error.
    other_errors: dict[str, dict[str, Estimate]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.diagnosis.verdict

    @property
    def findings(self) -> list:
        return self.diagnosis.findings

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema 1), written by ReportData: the contract."""
        return self._model().to_dict()

    def data(self) -> ReportData:
        """The torch-free model every renderer takes, read back from the JSON form so that this
        report and its stored copy render alike."""
        return ReportData.from_dict(self.to_dict())

    def _model(self) -> ReportData:
        estimates = {**self.errors, "bayes": self.bayes.estimate}
        gaps = self.diagnosis.gaps
        return ReportData(
            recipe=self.recipe,
            source=self.source,
            task=self.task,
            verdict=self.verdict,
            reason=self.diagnosis.reason,
            errors={k: _value(estimates.get(k)) for k in ERROR_NAMES},
            intervals={k: _interval(estimates.get(k)) for k in ERROR_NAMES},
            interval_methods={k: e.method for k, e in estimates.items() if e is not None},
            sizes={k: (e.n if (e := self.errors.get(k)) else None) for k in ERROR_NAMES[1:]},
            train_dev_source=CARVED if self.train_dev_carved else "given",
            bayes_source=self.bayes.source,
            bayes_method=self.bayes.method,
            bayes_interval=_interval(self.bayes.estimate),
            bayes_details=self.bayes.details,
            bayes_warning=self.bayes.warning,
            bayes_bracket=self.bayes.bracket,
            gaps={s.name: _value(g.estimate if (g := gaps.get(s.name)) else None) for s in GAP_SPECS},
            gap_intervals={
                s.name: _interval(g.estimate if (g := gaps.get(s.name)) else None) for s in GAP_SPECS
            },
            gap_flags={name: Flags(g.significant, g.material) for name, g in gaps.items()},
            findings=tuple(self.findings),
            easier_models=self.easier_models,
            probes=tuple(self.diagnosis.probes),
            sanity=self.sanity,
            gradients=self.gradients,
            critical_point=self.critical_point,
            lr_range_test=self.range_test,
            mismatch_test=self.mismatch,
            learning_curve=self.learning_curve,
            cross_validation=_cross_validation(self.cross_validation),
            model_checks=self.model_checks,
            leakage=self.leakage,
            total_excess=_gap_value(gaps, "total_excess"),
            recoverable_variance=_gap_value(gaps, "recoverable_variance"),
            error_analysis=None if self.error_analysis is None else self.error_analysis.reported(),
            regimen=self.regimen,
            best_epoch=self.history.best_epoch,
            skipped=self.skipped,
            probe_failures=self.probe_failures,
            sections=self.sections,
            warnings=tuple(self.warnings),
            history=tuple(self.history.epochs),
            initial_loss=self.history.initial_loss,
            nonfinite_step=self.history.nonfinite_step,
            settings=Settings(self.setup, self.seed, self.policy, self.scale),
            device=self.device,
            seconds=round(self.seconds, 3),
            versions=self.versions,
            description=self.description,
            bayes_size=None if self.bayes.estimate is None else self.bayes.estimate.n,
            other_errors={
                metric: {k: _value(e) for k, e in by_split.items()}
                for metric, by_split in self.other_errors.items()
            },
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, path: str | Path) -> None:
        """Write the JSON report (atomically) for `dldoctor report` or `dldoctor check --report`."""
        path = Path(path)
        check_file(path, "report.save")
        write_json(self, path)


def write_json(report: Report, path: Path) -> None:
    """Write atomically: a reader sees the old file or the whole new one, never half of it."""
    write_text(path, report.to_json() + "\n")


def _value(est: Estimate | None) -> float | None:
    return None if est is None else est.value


def _gap_value(gaps: dict, name: str) -> float | None:
    return _value(gaps[name].estimate) if name in gaps else None


def _interval(est: Estimate | None) -> Interval | None:
    return None if est is None else [est.low, est.high]


def _cross_validation(cv: CrossValidation | None) -> FoldErrors | None:
    if cv is None:
        return None
    intervals: dict[str, Interval] = {k: [e.low, e.high] for k, e in cv.errors.items()}
    return FoldErrors(cv.folds, {k: e.value for k, e in cv.errors.items()}, intervals, cv.per_fold)
