"""PNG plots of the error analysis: the confusion matrix, the reliability diagram, and a grid of the
most suspicious examples when the inputs are images.

The first two work from the report model (fresh or stored); the grid needs the inputs, so only a live
run draws it. matplotlib's object API on the Agg canvas, never pyplot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dldoctor import fmt
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.error_analysis.calibration import Calibration
from dldoctor.report.model import ReportData

ANNOTATE_MAX = 20  # classes up to which every cell of the confusion matrix shows its count


def error_plots(report: ReportData) -> dict[str, Any]:
    """{file name: figure} for the parts of the report's error analysis that have a picture."""
    analysis = report.error_analysis
    found: dict[str, Any] = {}
    if analysis is None:
        return found
    if analysis.classes:
        found["confusion.png"] = confusion(analysis.classes.matrix, report.recipe, analysis.split)
    if analysis.calibration:
        found["reliability.png"] = reliability(analysis.calibration, report.recipe, analysis.split)
    return found


def confusion(matrix: tuple[tuple[int, ...], ...], recipe: str, split: str):
    """Counts coloured by their share of the row (the given label), so small classes read too."""
    from matplotlib.figure import Figure

    counts = np.asarray(matrix)
    k = len(counts)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = min(12.0, 3.0 + 0.45 * k)
    figure = Figure(figsize=(size, size * 0.85), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=ax, label="share of the row")
    if k <= ANNOTATE_MAX:
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        for i in range(k):
            for j in range(k):
                if counts[i, j]:
                    colour = "white" if shares[i, j] > 0.5 else ("#d62728" if i != j else "black")
                    ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8, color=colour)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("given label")
    ax.set_title(f"{recipe}: confusion matrix on {fmt.split(split)}", fontsize=10)
    return figure


def reliability(calibration: Calibration, recipe: str, split: str):
    """Accuracy against confidence per bin (the diagonal is perfect calibration), bin sizes below."""
    from matplotlib.figure import Figure

    bins = [b for b in calibration.bins if b.n]
    centres = [(b.low + b.high) / 2 for b in bins]
    width = calibration.bins[0].high - calibration.bins[0].low
    figure = Figure(figsize=(6, 6.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    top.bar(centres, [b.accuracy for b in bins], width=width * 0.95, color="#1f77b4", label="accuracy")
    top.plot(
        [b.confidence for b in bins],
        [b.accuracy for b in bins],
        "o",
        color="#d62728",
        markersize=4,
        label="(mean confidence, accuracy)",
    )
    top.plot([0, 1], [0, 1], "--", color="black", linewidth=1, label="perfect calibration")
    ece = calibration.ece
    top.set_title(
        f"{recipe}: reliability on {fmt.split(split)} — ECE {100 * ece.value:.1f}%"
        f" ({100 * ece.low:.1f} to {100 * ece.high:.1f}%), {calibration.reading}",
        fontsize=10,
    )
    top.set_ylabel("accuracy")
    top.set_ylim(0, 1)
    top.legend(fontsize=8, loc="upper left")
    bottom.bar(centres, [b.n for b in bins], width=width * 0.95, color="#7f7f7f")
    bottom.set_yscale("log")
    bottom.set_ylabel("examples")
    bottom.set_xlabel("confidence (top-class probability)")
    bottom.set_xlim(0, 1)
    return figure


def suspects_grid(analysis: ErrorAnalysis):
    """The most suspicious examples of the analysed split with given → suggested labels, or None
    when the inputs are not images (H×W, or C×H×W / H×W×C with 1 or 3 channels)."""
    from matplotlib.figure import Figure

    images = _as_images(analysis.suspect_inputs)
    noise = analysis.label_noise.get(analysis.split)
    if images is None or noise is None:
        return None
    columns = min(8, len(images))
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(max(4.0, 1.6 * columns), 1.8 * rows + 0.5), layout="constrained")
    figure.suptitle(f"Suspected label errors on {fmt.split(analysis.split)}: given → suggested", fontsize=10)
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax, image, suspect in zip(axes, images, noise.suspects, strict=False):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(f"#{suspect.index}: {suspect.given} → {suspect.suggested}", fontsize=8)
    for ax in axes:
        ax.set_axis_off()
    return figure


def _as_images(inputs: np.ndarray | None) -> np.ndarray | None:
    """(n, H, W) greyscale or (n, H, W, 3) colour scaled to [0, 1], or None if not images."""
    if inputs is None or inputs.ndim not in (3, 4) or len(inputs) == 0:
        return None
    x = inputs
    if x.ndim == 4:
        if x.shape[1] in (1, 3) and x.shape[3] not in (1, 3):
            x = np.moveaxis(x, 1, 3)
        if x.shape[3] not in (1, 3):
            return None
        x = x[..., 0] if x.shape[3] == 1 else x
    low, high = float(x.min()), float(x.max())
    return (x - low) / (high - low) if high > low else np.zeros_like(x)


def write_suspects_grid(analysis: ErrorAnalysis, folder: Path) -> Path | None:
    """suspects.png in `folder` when there is a grid to draw."""
    figure = suspects_grid(analysis)
    if figure is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "suspects.png"
    figure.savefig(path, dpi=110)
    return path
