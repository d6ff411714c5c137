"""Diagnosis from outputs already computed (saved predictions, or the monitor given outputs): no model.

Errors with intervals come from labels and outputs, the Bayes estimate from the saved outputs,
embeddings and inputs, the mismatch test from embeddings or outputs, error analysis (per class,
label noise, calibration, slices by saved metadata) from the held-out outputs; then the same verdict
and Report as a trained run. What needs the model is listed in `skipped` with the reason. Outputs
are read a chunk of rows at a time: twice for classification error analysis, never whole.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from dldoctor import bayes, mismatch
from dldoctor import task as tasks
from dldoctor.bayes import representations
from dldoctor.data import Data, TensorSplit, choose_rows, target_scale
from dldoctor.diagnosis import Evidence, GradientHealth, MismatchTest, Policy, Setup, TrainingSignals
from dldoctor.doctor import DiagnoseOptions, Origin, assemble, signals
from dldoctor.error_analysis import ErrorAnalysis, ScoredSplit, SplitPredictions, analyse
from dldoctor.error_analysis.scores import ScoreSource, ScoreSummary, as_log_scores, joined, summarise
from dldoctor.errors import DataError
from dldoctor.predictions import Column, Predictions, SplitColumns
from dldoctor.probes import PROBES, ProbeRun
from dldoctor.probes.runner import describe
from dldoctor.report import Report
from dldoctor.training import History, SplitResult, per_example

NEEDS_MODEL = "needs the model: not available from saved predictions"
FROM_OUTPUTS = ("bayes", "mismatch_test", "error_analysis")  # the probes that outputs alone can run
HELD_OUT = ("train_dev", "dev")  # splits the model never trained on: error analysis reads these


@dataclass(frozen=True)
class Scored:
    """One split scored from its outputs: per-example loss and error, and the rows the estimators read."""

    result: SplitResult
    kept: np.ndarray  # indices of the sampled rows, sorted
    outputs: torch.Tensor  # the sampled rows' outputs
    embeddings: torch.Tensor | None
    summary: ScoreSummary | None = None  # classification: each example's score summary


def diagnose_predictions(
    predictions: Predictions,
    options: DiagnoseOptions | None = None,
    history: History | None = None,
    gradients: GradientHealth | None = None,
    source: str = "predictions",
    setup: Setup | None = None,
) -> Report:
    """Saved labels and outputs (and a training history when there is one) → the Report. `setup`:
    how the model was trained, where the caller knows (the monitor reads its optimiser); else unknown."""
    started = time.perf_counter()
    options = (options or DiagnoseOptions()).validate()
    if history is None:
        history = History(initial_loss=predictions.initial_loss, step_losses=_listed(predictions.losses))
        history.nonfinite_step = _first_nonfinite(predictions.losses)
    diverged = history.nonfinite_step is not None
    task, seed = predictions.task, options.seed
    scored = {
        name: score(columns, name, task, _kept(name, len(columns), seed), diverged)
        for name, columns in predictions.splits.items()
    }
    data = _data(predictions)
    policy = Policy(options.confidence, options.min_gap, options.target_error)
    results = {name: s.result for name, s in scored.items()}
    n_train = len(predictions.splits["train"])
    evidence = Evidence(
        task=task,
        scale=target_scale(data, task, seed),
        errors={n: tasks.get(task).error_estimate(r.errors, options.confidence) for n, r in results.items()},
        bayes=None,
        training=_epochs(signals(history, results["train"], predictions.steps_per_epoch or 1), predictions),
        setup=setup
        or Setup("unknown", math.nan, math.nan, 1, max(1, len(history.epochs)), math.nan, n_train),
        gradients=gradients,
    )
    found = _probe(evidence, options, predictions, scored, data)
    origin = Origin(predictions.name, "", source, seed, "cpu", started)
    return assemble(found, policy, origin, history, train_dev_carved=False)


def score(columns: SplitColumns, split: str, task: str, keep: np.ndarray, nonfinite_ok: bool) -> Scored:
    """Stream a split's outputs once: every example's loss and error, and the sampled rows kept."""
    summaries, measured, kept, start = [], [], [], 0
    for chunk in columns.outputs.chunks():
        if not nonfinite_ok:
            _check_finite(chunk, split, start)
        labels = columns.labels[start : start + len(chunk)]
        if task == "classification":
            summaries.append(summarise(as_log_scores(chunk), labels))
        else:
            out = torch.from_numpy(np.ascontiguousarray(chunk)).float()
            measured.append([t.double().numpy() for t in per_example(out, torch.from_numpy(labels), task)])
        rows = _within(keep, start, len(chunk)).numpy()
        kept.append(torch.from_numpy(np.ascontiguousarray(chunk[rows])).float())
        start += len(chunk)
    embeddings = _gather(columns.embeddings, keep)
    if task != "classification":
        losses, errors = (np.concatenate(part) for part in zip(*measured, strict=True))
        result = SplitResult(losses, errors)
        return Scored(result, keep, torch.cat(kept), embeddings)
    summary = joined(summaries)
    return Scored(SplitResult(summary.loss, summary.errors), keep, torch.cat(kept), embeddings, summary)


def _check_finite(chunk: np.ndarray, split: str, start: int) -> None:
    """Raise on the first row with a NaN or infinite output (one cheap reduction, then the row)."""
    if np.isfinite(chunk.sum(dtype=np.float64)) and np.isfinite(chunk.min()):
        return
    flat = chunk.reshape(len(chunk), -1)
    row = start + int(np.flatnonzero(~np.isfinite(flat).all(axis=1))[0])
    raise DataError(
        f"'{split}_outputs' has NaN or infinite values (row {row}): save the finite outputs of a"
        " trained model — if training diverged, save its per-step training loss as 'losses'"
    )


def _probe(
    evidence: Evidence,
    options: DiagnoseOptions,
    predictions: Predictions,
    scored: dict[str, Scored],
    data: Data,
) -> ProbeRun:
    """The Bayes estimate and the mismatch test, each isolated as a probe is; the rest need the model."""
    results: dict[str, object] = {}
    failures: dict[str, str] = {}
    steps: dict[str, Callable[[], object]] = {
        "bayes": lambda: _bayes(evidence, options, predictions, scored, data),
        "mismatch_test": lambda: _mismatch(scored, options.seed),
    }
    skipped = {p.name: NEEDS_MODEL for p in PROBES if p.name not in FROM_OUTPUTS}
    if options.errors:
        steps["error_analysis"] = lambda: _error_analysis(predictions, scored, options)
    else:
        skipped["error_analysis"] = "turned off (--no-errors)"
    for name, step in steps.items():
        try:
            results[name] = step()
        except Exception as exc:  # as in run_probes: one estimator's failure must not end the diagnosis
            failures[name] = describe(exc)
    estimate = results.get("bayes")
    if isinstance(estimate, bayes.BayesEstimate):
        evidence = replace(evidence, bayes=estimate.estimate)
    test = results.get("mismatch_test")
    if isinstance(test, MismatchTest):
        evidence = replace(evidence, mismatch=test)
    return ProbeRun(evidence, results, skipped, failures)


def _error_analysis(
    predictions: Predictions, scored: dict[str, Scored], options: DiagnoseOptions
) -> ErrorAnalysis:
    """Error analysis on the held-out splits (train's outputs come from the model trained on them):
    classification reads each split's score summary and streams its outputs once more for label noise."""
    found: dict[str, SplitPredictions | ScoredSplit] = {}
    for name in HELD_OUT:
        columns, metadata = predictions.splits[name], predictions.metadata.get(name, {})
        summary = scored[name].summary
        if summary is None:
            outputs = np.concatenate(list(columns.outputs.chunks()))
            found[name] = SplitPredictions(columns.labels, outputs, metadata=metadata)
        else:
            found[name] = ScoredSplit(
                summary, _log_scores(columns.outputs), columns.outputs.shape[1], None, metadata
            )
    return analyse(found, predictions.task, options.confidence, options.seed)


def _bayes(
    evidence: Evidence,
    options: DiagnoseOptions,
    predictions: Predictions,
    scored: dict[str, Scored],
    data: Data,
) -> bayes.BayesEstimate:
    if options.bayes_error is not None:
        return bayes.given(options.bayes_error)
    held = scored["train_dev"]
    y = torch.from_numpy(predictions.splits["train_dev"].labels[held.kept])
    ids = representations.example_ids("train_dev", held.kept)  # the rows the input views key them by
    views = representations.output_views(
        held.outputs.reshape(len(y), -1), held.embeddings, y, predictions.task, ids
    )
    skipped: dict[str, str] = (
        {} if held.embeddings is not None else {"embedding": "no 'train_dev_embeddings' saved"}
    )
    if _has_inputs(predictions):
        width = predictions.classes or int(np.prod(predictions.splits["train"].labels.shape[1:]))
        made = {"inputs": representations.inputs(data, options.seed)}
        made["linear"] = representations.linear(data, predictions.task, width, options.seed)
        made["kernel"] = representations.kernel_ridge(data, predictions.task, width, options.seed)
        for name, view in made.items():
            if isinstance(view, str):
                skipped[name] = view
            else:
                views.append(view)
    else:
        why = "no 'train_inputs' and 'train_dev_inputs' saved"
        skipped["inputs"] = skipped["linear"] = skipped["kernel"] = why
    return bayes.on_views(
        views,
        skipped,
        predictions.task,
        predictions.classes,
        evidence.errors["train_dev"],
        options.confidence,
        options.seed,
    )


def _log_scores(column: Column) -> ScoreSource:
    """The column's chunks read again, as log-scores."""
    return lambda: map(as_log_scores, column.chunks())


def _mismatch(scored: dict[str, Scored], seed: int) -> MismatchTest:
    """Train-dev against dev on the saved embeddings when both have them, else on the outputs."""
    held, dev = scored["train_dev"], scored["dev"]
    n_held, n_dev = (min(mismatch.MAX_POINTS, len(s.result.errors)) for s in (held, dev))
    a, b = _subsample(held, n_held, seed), _subsample(dev, n_dev, seed)
    return mismatch.mmd_test(a[0], b[0], seed=seed, representation=a[1] if a[1] == b[1] else "outputs")


def _subsample(s: Scored, n: int, seed: int) -> tuple[torch.Tensor, str]:
    """The rows `Split.sample(n, seed)` would draw, out of the larger sample already kept."""
    rows = np.searchsorted(s.kept, _choose(len(s.result.errors), n, seed))
    if s.embeddings is not None:
        return s.embeddings[rows], "embedding"
    return s.outputs[rows].reshape(len(rows), -1), "outputs"


def _kept(split: str, n: int, seed: int) -> np.ndarray:
    """The rows the estimators read: those a trained run's probes would sample from this split."""
    if split == "train_dev":
        return _choose(n, representations.MAX_POINTS, seed)
    return _choose(n, mismatch.MAX_POINTS, seed) if split == "dev" else np.zeros(0, dtype=np.int64)


def _choose(n: int, k: int, seed: int) -> np.ndarray:
    """The same draw as `Split.sample(k, seed)`: all rows when k ≥ n."""
    return np.arange(n) if k >= n else choose_rows(n, k, seed).numpy()


def _within(keep: np.ndarray, start: int, length: int) -> torch.Tensor:
    lo, hi = np.searchsorted(keep, [start, start + length])
    return torch.from_numpy(keep[lo:hi] - start)


def _gather(column: Column | None, keep: np.ndarray) -> torch.Tensor | None:
    """The kept rows of an optional column, flattened to float32 features."""
    if column is None or not len(keep):
        return None
    rows, start = [], 0
    for chunk in column.chunks():
        rows.append(torch.from_numpy(np.ascontiguousarray(chunk[_within(keep, start, len(chunk)).numpy()])))
        start += len(chunk)
    found = torch.cat(rows)
    return found.reshape(len(found), -1).float()


def _has_inputs(predictions: Predictions) -> bool:
    return all(predictions.splits[s].inputs is not None for s in ("train", "train_dev"))


def _data(predictions: Predictions) -> Data:
    """The labels (and saved inputs, when there are) as splits, for the estimators that sample them."""
    splits = {}
    for name, columns in predictions.splits.items():
        y = torch.from_numpy(columns.labels)
        x = torch.zeros(len(y), 0)
        if columns.inputs is not None and _has_inputs(predictions):
            x = torch.from_numpy(np.concatenate(list(columns.inputs.chunks())))
        splits[name] = TensorSplit(name, x, y)
    return Data(splits["train"], splits["train_dev"], splits["dev"], splits.get("test"), False)


def _epochs(training: TrainingSignals, predictions: Predictions) -> TrainingSignals:
    """Saved step losses without epoch records: each epoch's mean loss, when the epoch length is saved."""
    if training.epoch_losses or not training.step_losses or predictions.steps_per_epoch is None:
        return training
    losses, size = np.asarray(training.step_losses), training.steps_per_epoch
    means = tuple(float(losses[i : i + size].mean()) for i in range(0, len(losses), size))
    return replace(training, epoch_losses=means)


def _listed(losses: np.ndarray | None) -> list[float]:
    return [] if losses is None else losses.tolist()


def _first_nonfinite(losses: np.ndarray | None) -> int | None:
    if losses is None:
        return None
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) + 1 if bad.size else None
