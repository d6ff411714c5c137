"""PNG plots of a report: the training curves with what went wrong marked, the error bars, the
learning-rate range test and the learning curve when they ran, and the error analysis's pictures
(dldoctor.report.error_plots).

Works from the report model (fresh or stored). Uses matplotlib's object API with the Agg canvas,
never pyplot, so it holds no global state and needs no display.
"""

from __future__ import annotations

import math
from pathlib import Path

from dldoctor import fmt
from dldoctor.diagnosis import LearningCurve, RangeTest
from dldoctor.report.model import ERROR_NAMES, STEPS, EpochRecord, ReportData, best_dev_epoch
from dldoctor.task import get

SPLIT_COLOURS = {"train": "#1f77b4", "train_dev": "#ff7f0e", "dev": "#2ca02c", "test": "#9467bd"}
BAYES_COLOUR = "#7f7f7f"
PROBLEM, NOISE, NONE = "#d62728", "#ff9f40", "#b0b0b0"
JUDGEMENT_COLOUR = {"problem": PROBLEM, "could be noise": NOISE}  # else NONE


def write_plots(report: ReportData, folder: Path) -> list[Path]:
    """Write curves.png and errors.png into `folder` (created if needed); lr_find.png and
    learning_curve.png when the report has them; confusion.png and reliability.png when it has an
    error analysis. Return their paths."""
    from dldoctor.report.error_plots import error_plots

    folder.mkdir(parents=True, exist_ok=True)
    figures = {"curves.png": _curves(report), "errors.png": _errors(report)}
    if report.lr_range_test is not None:
        figures["lr_find.png"] = range_test_figure(report.lr_range_test)
    if report.learning_curve is not None:
        figures["learning_curve.png"] = learning_curve_figure(report.learning_curve, report.task)
    written = []
    for name, figure in {**figures, **error_plots(report)}.items():
        path = folder / name
        figure.savefig(path, dpi=110)
        written.append(path)
    return written


def range_test_figure(result: RangeTest):  # -> matplotlib.figure.Figure
    """Loss against learning rate (log scale), with the suggestions marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    ax.plot(result.lrs, result.losses, color="#1f77b4")
    ax.set_xscale("log")
    marks = [(result.steepest_lr, "steepest", ":"), (result.min_loss_lr, "minimum", "--")]
    if result.suggested_lr is not None:
        marks.append((result.suggested_lr, "suggested", "-"))
    for lr, label, style in marks:
        ax.axvline(lr, linestyle=style, color="#d62728" if label == "suggested" else "grey")
        ax.annotate(f"{label} {lr:.2g}", (lr, max(result.losses)), rotation=90, va="top", fontsize=8)
    ax.set_xlabel(f"learning rate ({result.optimizer})")
    ax.set_ylabel("training loss (smoothed)")
    ax.set_title("Learning-rate range test")
    fig.tight_layout()
    return fig


def learning_curve_figure(curve: LearningCurve, task: str):  # -> matplotlib.figure.Figure
    """Dev and training error against training-set size (log scale), with the fit extrapolated as far
    as its largest prediction."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    ax.plot(curve.sizes, curve.dev_errors, "o", color="#d62728", label="dev error")
    ax.plot(curve.sizes, curve.train_errors, "s", color="#1f77b4", label="training error")
    if curve.c is not None and curve.a is not None and curve.b is not None:
        furthest = max(curve.predicted, default=1)
        grid = np.geomspace(curve.sizes[0], furthest * curve.sizes[-1], 200)
        ax.plot(grid, curve.c + curve.a * grid**-curve.b, "--", color="#d62728", label="fit c + a·n^(−b)")
        ax.axhline(curve.c, linestyle=":", color="grey", label=f"asymptote c = {curve.c:.3g}")
    ax.axvline(curve.sizes[-1], color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training examples")
    ax.set_ylabel("error rate" if get(task).rate else "MSE")
    ax.set_title("Learning curve")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _figure(title: str):  # -> matplotlib.figure.Figure, imported lazily: matplotlib is slow to load
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.4), layout="constrained")
    figure.suptitle(title, fontsize=11)
    return figure


def _curves(r: ReportData):
    figure = _figure(f"{r.recipe}: training curves ({r.verdict.replace('_', ' ')})")
    loss_ax, error_ax = figure.subplots(1, 2)
    epochs = [h.epoch for h in r.history]
    _loss_panel(loss_ax, r, epochs)
    _error_panel(error_ax, r, epochs)
    best = None if (found := best_dev_epoch(r.history)) is None else found.epoch
    for ax in (loss_ax, error_ax):
        if best is not None:
            ax.axvline(best, color=SPLIT_COLOURS["dev"], linestyle=":", label=f"best dev (epoch {best})")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return figure


def _loss_panel(ax, r: ReportData, epochs: list[int]) -> None:
    history = r.history
    ax.plot(epochs, _series(history, "train_loss"), color=SPLIT_COLOURS["train"], label="train (running)")
    ax.plot(epochs, _series(history, "dev_loss"), color=SPLIT_COLOURS["dev"], label="dev loss")
    if math.isfinite(r.initial_loss):
        ax.plot([0], [r.initial_loss], "o", color="black", label="at initialisation")
    finite = [v for v in [*_series(history, "train_loss"), *_series(history, "dev_loss")] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    step = r.nonfinite_step
    if step is not None:
        at = step / _steps_per_epoch(r)
        ax.axvline(at, color=PROBLEM, linewidth=1.5, label=f"non-finite loss (step {step})")
    warned = [p.probe for p in r.probes if p.status == "warn"]
    if warned:
        ax.text(
            0.02,
            0.02,
            "probes warn:\n" + "\n".join(f"! {w}" for w in warned),
            transform=ax.transAxes,
            fontsize=8,
            color=PROBLEM,
            va="bottom",
            bbox={"facecolor": "white", "edgecolor": PROBLEM, "alpha": 0.85},
        )
    ax.set_ylabel("loss")
    ax.set_title("Loss per epoch", fontsize=10)


def _error_panel(ax, r: ReportData, epochs: list[int]) -> None:
    task, history = r.task, r.history
    for split in ("train", "train_dev", "dev"):
        colour = SPLIT_COLOURS[split]
        ax.plot(epochs, _series(history, f"{split}_error"), color=colour, label=fmt.split(split))
    bayes, band = r.errors.get("bayes"), r.error("bayes")
    if bayes is not None:
        ax.axhline(bayes, color=BAYES_COLOUR, linestyle="--", label=f"Bayes ({r.bayes_source})")
        if band is not None:
            ax.axhspan(band.low, band.high, color=BAYES_COLOUR, alpha=0.15)
    target = r.policy.target_error
    if target is not None:
        ax.axhline(target, color="black", linestyle="-.", linewidth=1, label="target")
    if get(task).rate:
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_ylabel("error rate")
    else:
        ax.set_ylabel("MSE")
    ax.set_title("Error per epoch", fontsize=10)


def _errors(r: ReportData):
    task = r.task
    level = fmt.confidence(r.policy.confidence)
    figure = _figure(f"{r.recipe}: errors and their decomposition ({level} intervals)")
    error_ax, gap_ax = figure.subplots(1, 2)
    splits = [n for n in ERROR_NAMES if r.errors.get(n) is not None]
    _bars(error_ax, r.errors, r.intervals, splits, [SPLIT_COLOURS.get(n, BAYES_COLOUR) for n in splits])
    error_ax.set_xticks(range(len(splits)), [fmt.split(n) for n in splits])
    error_ax.set_title("Error per split", fontsize=10)
    gaps = [g for g in STEPS if r.gaps.get(g) is not None]
    colours = [JUDGEMENT_COLOUR.get(r.flags(g).judgement, NONE) for g in gaps]
    _bars(gap_ax, r.gaps, r.gap_intervals, gaps, colours)
    gap_ax.set_xticks(range(len(gaps)), [g.replace("_", " ") for g in gaps])
    gap_ax.axhline(0, color="black", linewidth=0.8)
    gap_ax.set_title("Gaps (red: problem, orange: could be noise)", fontsize=10)
    if get(task).rate:
        error_ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        gap_ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:+.0f} pts")
    for ax in (error_ax, gap_ax):
        ax.grid(axis="y", alpha=0.3)
    return figure


def _bars(ax, values: dict, intervals: dict, names: list[str], colours: list[str]) -> None:
    """Bars with interval whiskers; a bar without an interval gets none."""
    heights = [values[n] for n in names]
    below = [max(0.0, values[n] - intervals[n][0]) if _usable(intervals[n]) else 0.0 for n in names]
    above = [max(0.0, intervals[n][1] - values[n]) if _usable(intervals[n]) else 0.0 for n in names]
    ax.bar(range(len(names)), heights, color=colours, yerr=[below, above], capsize=6, ecolor="black")


def _usable(interval: list | None) -> bool:
    return interval is not None and None not in interval


def _series(history: tuple[EpochRecord, ...], key: str) -> list[float]:
    return [getattr(h, key) for h in history]


def _steps_per_epoch(r: ReportData) -> float:
    """Approximate: training may drop a trailing batch of one, which shifts the mark by a hair."""
    return max(1.0, math.ceil(r.setup.n_train / r.setup.batch_size))
