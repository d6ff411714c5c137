"""Would more data help? Retrain on growing subsets of train and extrapolate the dev error.

The power law e(n) = c + a·n^(−b) is the usual shape of a learning curve: c is the error more data
cannot remove (bias plus mismatch), a·n^(−b) the part that shrinks with data (variance). A curve
still falling at today's size says more data helps; a flat one says it will not.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch

from dldoctor import task as tasks
from dldoctor.data import Data
from dldoctor.diagnosis.evidence import LearningCurve
from dldoctor.recipe import Recipe
from dldoctor.training import build_model, evaluate, fit

FRACTIONS = (1 / 16, 1 / 8, 1 / 4, 1 / 2)  # the full training set is the fifth point
MULTIPLES = (2, 10)
MIN_SUBSET = 16


def learning_curve(
    recipe: Recipe,
    data: Data,
    device: torch.device,
    seed: int,
    full: tuple[float, float],
    threshold: float,
) -> LearningCurve:
    """Train fresh models on nested subsets of train; `full` is (train, dev) error of the full run."""
    n = len(data.train)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 104_729))
    sizes, dev_errors, train_errors = [], [], []
    for fraction in FRACTIONS:
        size = round(fraction * n)
        if size < max(MIN_SUBSET, recipe.batch_size // 4):
            continue
        subset = data.train.take(order[:size].sort().values, "train")
        model = build_model(recipe, seed, device)
        fit(model, Data(subset, data.train_dev, data.dev, None, False), recipe, seed=seed)
        sizes.append(size)
        train_errors.append(evaluate(model, subset, recipe.task).error)
        dev_errors.append(evaluate(model, data.dev, recipe.task).error)
    sizes.append(n)
    train_errors.append(full[0])
    dev_errors.append(full[1])
    return summarise(sizes, dev_errors, train_errors, threshold)


def summarise(
    sizes: list[int], dev_errors: list[float], train_errors: list[float], threshold: float
) -> LearningCurve:
    """Fit the power law and read it at 2× and 10× today's size."""
    params = fit_power_law(np.asarray(sizes, float), np.asarray(dev_errors, float))
    predicted: dict[int, float] = {}
    helps = None
    if params is not None:
        c, a, b = params
        predicted = {m: float(c + a * (m * sizes[-1]) ** -b) for m in MULTIPLES}
        today = c + a * sizes[-1] ** -b
        helps = today - predicted[MULTIPLES[-1]] >= threshold
    c, a, b = params if params is not None else (None, None, None)
    return LearningCurve(
        tuple(sizes), tuple(dev_errors), tuple(train_errors), c, a, b, predicted, helps, threshold
    )


def fit_power_law(n: np.ndarray, e: np.ndarray) -> tuple[float, float, float] | None:
    """Least-squares c + a·n^(−b) with c ≥ 0, a ≥ 0, 0 < b ≤ 2; None with fewer than 3 points or no fit."""
    if len(n) < 3 or not np.all(np.isfinite(e)):
        return None
    from scipy.optimize import curve_fit

    def model(size: np.ndarray, c: float, a: float, b: float) -> np.ndarray:
        return c + a * np.power(size / n[-1], -b)  # scaled by today's size: a is the reducible part now

    start = (max(0.0, float(e.min()) * 0.9), max(1e-6, float(e.max() - e.min())), 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (c, a, b), _ = curve_fit(
                model, n, e, p0=start, bounds=([0, 0, 1e-3], [np.inf, np.inf, 2.0]), maxfev=5000
            )
    except (RuntimeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (c, a, b)):
        return None
    return float(c), float(a * n[-1] ** b), float(b)


def plot(curve: LearningCurve, path: Path, task: str) -> None:
    """Dev and training error against training-set size (log scale), with the fit extrapolated to 10×."""
    from matplotlib.figure import Figure  # the object API: no pyplot global state

    fig = Figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    ax.plot(curve.sizes, curve.dev_errors, "o", color="#d62728", label="dev error")
    ax.plot(curve.sizes, curve.train_errors, "s", color="#1f77b4", label="training error")
    if curve.c is not None and curve.a is not None and curve.b is not None:
        grid = np.geomspace(curve.sizes[0], MULTIPLES[-1] * curve.sizes[-1], 200)
        ax.plot(grid, curve.c + curve.a * grid**-curve.b, "--", color="#d62728", label="fit c + a·n^(−b)")
        ax.axhline(curve.c, linestyle=":", color="grey", label=f"asymptote c = {curve.c:.3g}")
    ax.axvline(curve.sizes[-1], color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training examples")
    ax.set_ylabel("error rate" if tasks.get(task).rate else "MSE")
    ax.set_title("Learning curve")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
