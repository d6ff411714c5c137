"""Diagnosis from outputs already computed (saved predictions, or the monitor given outputs): no model.

Errors with intervals come from labels and outputs, the Bayes estimate from the saved outputs,
embeddings and inputs, the mismatch test from embeddings or outputs; then the same verdict and
Report as a trained run. What needs the model is listed in `skipped` with the reason.
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
from dldoctor.errors import DataError
from dldoctor.predictions import Column, Predictions, SplitColumns
from dldoctor.probes import PROBES, ProbeRun
from dldoctor.probes.runner import describe
from dldoctor.report import Report
from dldoctor.training import History, SplitResult, per_example

NEEDS_MODEL = "needs the model: not available from saved predictions"
FROM_OUTPUTS = ("bayes", "mismatch_test")  # the probes that outputs alone can run


@dataclass(frozen=True)
class Scored:
    """One split scored from its outputs: per-example loss and error, and the rows the estimators read."""

    result: SplitResult
    kept: np.ndarray  # indices of the sampled rows, sorted
    outputs: torch.Tensor  # the sampled rows' outputs
    embeddings: torch.Tensor | None


def diagnose_predictions(
    predictions: Predictions,
    options: DiagnoseOptions | None = None,
    history: History | None = None,
    gradients: GradientHealth | None = None,
    source: str = "predictions",
) -> Report:
    """Saved labels and outputs (and a training history when there is one) → the Report."""
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
        setup=Setup("unknown", math.nan, math.nan, 1, max(1, len(history.epochs)), math.nan, n_train),
        gradients=gradients,
    )
    found = _probe(evidence, options, predictions, scored, data)
    origin = Origin(predictions.name, "", source, seed, "cpu", started)
    return assemble(found, policy, origin, history, train_dev_carved=False)


def score(columns: SplitColumns, split: str, task: str, keep: np.ndarray, nonfinite_ok: bool) -> Scored:
    """Stream a split's outputs once: every example's loss and error, and the sampled rows kept."""
    losses, errors, kept = [], [], []
    start = 0
    for chunk in columns.outputs.chunks():
        out = torch.from_numpy(np.ascontiguousarray(chunk)).float()
        y = torch.from_numpy(columns.labels[start : start + len(chunk)])
        if not nonfinite_ok and not bool(torch.isfinite(out).all()):
            row = start + int((~torch.isfinite(out.reshape(len(out), -1))).any(dim=1).nonzero()[0])
            raise DataError(
                f"'{split}_outputs' has NaN or infinite values (row {row}): save the finite outputs of a"
                " trained model — if training diverged, save its per-step training loss as 'losses'"
            )
        loss, error = per_example(_as_logits(out, task), y, task)
        losses.append(loss.double().numpy())
        errors.append(error.double().numpy())
        kept.append(out[_within(keep, start, len(chunk))])
        start += len(chunk)
    embeddings = _gather(columns.embeddings, keep)
    return Scored(
        SplitResult(np.concatenate(losses), np.concatenate(errors)), keep, torch.cat(kept), embeddings
    )


def _as_logits(out: torch.Tensor, task: str) -> torch.Tensor:
    """Class probabilities become log-probabilities, so the loss is the cross-entropy either way."""
    if task != "classification" or not len(out) or float(out.min()) < 0:
        return out
    sums = out.sum(dim=1)
    return out.clamp_min(1e-12).log() if bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-3)) else out


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
    skipped = {p.name: NEEDS_MODEL for p in PROBES if p.name not in FROM_OUTPUTS}
    return ProbeRun(evidence, results, skipped, failures)


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
    views = representations.output_views(
        held.outputs.reshape(len(y), -1), held.embeddings, y, predictions.task
    )
    skipped: dict[str, str] = (
        {} if held.embeddings is not None else {"embedding": "no 'train_dev_embeddings' saved"}
    )
    if _has_inputs(predictions):
        width = predictions.classes or int(np.prod(predictions.splits["train"].labels.shape[1:]))
        made = {"inputs": representations.inputs(data, options.seed)}
        made["linear"] = representations.linear(data, predictions.task, width, options.seed)
        for name, view in made.items():
            if isinstance(view, str):
                skipped[name] = view
            else:
                views.append(view)
    else:
        skipped["inputs"] = skipped["linear"] = "no 'train_inputs' and 'train_dev_inputs' saved"
    return bayes.on_views(
        views,
        skipped,
        predictions.task,
        predictions.classes,
        evidence.errors["train_dev"],
        options.confidence,
        options.seed,
    )


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
