"""Error analysis: where a model's errors are, which labels look wrong, and what fixing each would buy.

Pure numpy on out-of-sample predictions (SplitPredictions), so a recipe run and a saved predictions
file are analysed alike. Classes, calibration, residuals and slices are read on one split (dev);
label noise on every split given, each from predictions its model did not train on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dldoctor.error_analysis.calibration import Calibration, calibration_of
from dldoctor.error_analysis.classes import ClassErrors, class_errors
from dldoctor.error_analysis.label_noise import LabelNoise, label_noise_of
from dldoctor.error_analysis.predictions import ScoredSplit, SplitPredictions
from dldoctor.error_analysis.residuals import Residuals, residuals
from dldoctor.error_analysis.slices import Slices, slices

SUSPECTS_SHOWN = 100  # the JSON lists this many per split; the CSV lists all

__all__ = ["ErrorAnalysis", "ScoredSplit", "SplitPredictions", "analyse"]


@dataclass(frozen=True)
class ErrorAnalysis:
    """What `analyse` found; a part is None (and named in `skipped`) when it does not apply.

    Also the report's `error_analysis` section, as `reported()` trims it. `suspect_inputs`: the
    inputs of the most suspicious examples of `split`, for a picture grid; not part of the report.
    """

    split: str
    classes: ClassErrors | None = None
    residuals: Residuals | None = None
    calibration: Calibration | None = None
    label_noise: dict[str, LabelNoise] = field(default_factory=dict)
    slices: Slices | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    suspect_inputs: np.ndarray | None = field(
        default=None, compare=False, repr=False, metadata={"reported": False}
    )

    def reported(self) -> ErrorAnalysis:
        """What a report keeps: the first SUSPECTS_SHOWN suspects of each split (the CSV lists all)."""
        shown = {
            name: replace(noise, suspects=noise.suspects[:SUSPECTS_SHOWN])
            for name, noise in self.label_noise.items()
        }
        return replace(self, label_noise=shown, suspect_inputs=None)


def analyse(
    predictions: Mapping[str, SplitPredictions | ScoredSplit],
    task: str,
    confidence: float = 0.95,
    seed: int = 0,
    split: str = "dev",
) -> ErrorAnalysis:
    """Every analysis that applies to `predictions` (split name → its predictions, in memory or as
    chunked scores)."""
    broken = [name for name, p in predictions.items() if not _finite(p)]
    if broken:
        return ErrorAnalysis(split, skipped={"all": f"the model's outputs on {broken[0]} are not finite"})
    skipped: dict[str, str] = {}
    found: dict[str, Any] = {}
    if task == "classification":
        scored = {
            name: p if isinstance(p, ScoredSplit) else ScoredSplit.of(p) for name, p in predictions.items()
        }
        main = scored[split].summary
        errors = main.errors
        found["classes"] = class_errors(main.labels, main.predicted, scored[split].classes, confidence)
        found["calibration"] = calibration_of(main.confidence, 1 - errors, confidence, seed)
        found["label_noise"] = {
            name: label_noise_of(s.summary, s.scores, s.classes, s.index, confidence, seed)
            for name, s in scored.items()
        }
    else:
        main_split = predictions[split]
        assert isinstance(main_split, SplitPredictions), "regression outputs are read in memory"
        errors = main_split.per_example_error(task)
        found["residuals"] = residuals(
            main_split.labels, main_split.outputs, main_split.index, confidence, seed
        )
        skipped["label_noise"] = skipped["calibration"] = "classification only"
    metadata = predictions[split].metadata
    if metadata:
        found["slices"] = slices(errors, metadata, task, confidence)
    else:
        skipped["slices"] = f"no metadata for {split} (Splits(metadata={{'{split}': {{column: values}}}}))"
    return ErrorAnalysis(split, skipped=skipped, **found)


def _finite(split: SplitPredictions | ScoredSplit) -> bool:
    if isinstance(split, ScoredSplit):
        return bool(np.isfinite(split.summary.log_norm).all() and np.isfinite(split.summary.top).all())
    return bool(np.isfinite(split.outputs).all())
