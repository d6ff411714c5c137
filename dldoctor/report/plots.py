"""PNG plots of a report: the training curves with what went wrong marked, the error bars, and the
error analysis's pictures (dldoctor.report.error_plots).

Works from the JSON form (fresh or stored). Uses matplotlib's object API with the Agg canvas,
never pyplot, so it holds no global state and needs no display.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from dldoctor import fmt
from dldoctor.task import get

SPLIT_COLOURS = {"train": "#1f77b4", "train_dev": "#ff7f0e", "dev": "#2ca02c", "test": "#9467bd"}
BAYES_COLOUR = "#7f7f7f"
PROBLEM, NOISE, NONE = "#d62728", "#ff9f40", "#b0b0b0"
GAP_NAMES = ("avoidable_bias", "variance", "data_mismatch", "dev_overfit")


def write_plots(report: dict[str, Any], folder: Path) -> list[Path]:
    """Write curves.png and errors.png into `folder` (created if needed), and confusion.png and
    reliability.png when the report has an error analysis; return their paths."""
    from dldoctor.report.error_plots import error_plots

    folder.mkdir(parents=True, exist_ok=True)
    figures = {"curves.png": _curves(report), "errors.png": _errors(report), **error_plots(report)}
    written = []
    for name, figure in figures.items():
        path = folder / name
        figure.savefig(path, dpi=110)
        written.append(path)
    return written


def _figure(title: str):  # -> matplotlib.figure.Figure, imported lazily: matplotlib is slow to load
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.4), layout="constrained")
    figure.suptitle(title, fontsize=11)
    return figure


def _curves(r: dict[str, Any]):
    figure = _figure(f"{r['recipe']}: training curves ({r['verdict'].replace('_', ' ')})")
    loss_ax, error_ax = figure.subplots(1, 2)
    history = r["history"]
    epochs = [h["epoch"] for h in history]
    _loss_panel(loss_ax, r, epochs)
    _error_panel(error_ax, r, epochs)
    best = _best_dev_epoch(history)
    for ax in (loss_ax, error_ax):
        if best is not None:
            ax.axvline(best, color=SPLIT_COLOURS["dev"], linestyle=":", label=f"best dev (epoch {best})")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return figure


def _loss_panel(ax, r: dict[str, Any], epochs: list[int]) -> None:
    history = r["history"]
    ax.plot(epochs, _series(history, "train_loss"), color=SPLIT_COLOURS["train"], label="train (running)")
    ax.plot(epochs, _series(history, "dev_loss"), color=SPLIT_COLOURS["dev"], label="dev loss")
    if r["initial_loss"] is not None:
        ax.plot([0], [r["initial_loss"]], "o", color="black", label="at initialisation")
    finite = [v for v in [*_series(history, "train_loss"), *_series(history, "dev_loss")] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    step = r["nonfinite_step"]
    if step is not None:
        at = step / _steps_per_epoch(r["settings"])
        ax.axvline(at, color=PROBLEM, linewidth=1.5, label=f"non-finite loss (step {step})")
    warned = [p["probe"] for p in r["probes"] if p["status"] == "warn"]
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


def _error_panel(ax, r: dict[str, Any], epochs: list[int]) -> None:
    task, history = r["task"], r["history"]
    for split in ("train", "train_dev", "dev"):
        colour = SPLIT_COLOURS[split]
        ax.plot(epochs, _series(history, f"{split}_error"), color=colour, label=fmt.split(split))
    bayes, band = r["errors"]["bayes"], r["intervals"]["bayes"]
    if bayes is not None:
        ax.axhline(bayes, color=BAYES_COLOUR, linestyle="--", label=f"Bayes ({r['bayes_source']})")
        if band is not None and None not in band:
            ax.axhspan(band[0], band[1], color=BAYES_COLOUR, alpha=0.15)
    target = r["settings"].get("target_error")
    if target is not None:
        ax.axhline(target, color="black", linestyle="-.", linewidth=1, label="target")
    if get(task).rate:
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_ylabel("error rate")
    else:
        ax.set_ylabel("MSE")
    ax.set_title("Error per epoch", fontsize=10)


def _errors(r: dict[str, Any]):
    task = r["task"]
    level = fmt.confidence(r["settings"]["confidence"])
    figure = _figure(f"{r['recipe']}: errors and their decomposition ({level} intervals)")
    error_ax, gap_ax = figure.subplots(1, 2)
    splits = [n for n in ("bayes", "train", "train_dev", "dev", "test") if r["errors"].get(n) is not None]
    _bars(error_ax, r["errors"], r["intervals"], splits, [SPLIT_COLOURS.get(n, BAYES_COLOUR) for n in splits])
    error_ax.set_xticks(range(len(splits)), [fmt.split(n) for n in splits])
    error_ax.set_title("Error per split", fontsize=10)
    gaps = [g for g in GAP_NAMES if r["gaps"].get(g) is not None]
    _bars(gap_ax, r["gaps"], r["gap_intervals"], gaps, [_gap_colour(r["gap_flags"].get(g, {})) for g in gaps])
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


def _gap_colour(flags: dict[str, bool]) -> str:
    if flags.get("material") and flags.get("significant"):
        return PROBLEM
    return NOISE if flags.get("material") else NONE


def _usable(interval: list | None) -> bool:
    return interval is not None and None not in interval


def _series(history: list[dict[str, Any]], key: str) -> list[float]:
    return [math.nan if h[key] is None else h[key] for h in history]


def _best_dev_epoch(history: list[dict[str, Any]]) -> int | None:
    scored = [h for h in history if h["dev_error"] is not None]
    return min(scored, key=lambda h: h["dev_error"])["epoch"] if scored else None


def _steps_per_epoch(settings: dict[str, Any]) -> float:
    """Approximate: training may drop a trailing batch of one, which shifts the mark by a hair."""
    return max(1.0, math.ceil(settings["n_train"] / settings["batch_size"]))
