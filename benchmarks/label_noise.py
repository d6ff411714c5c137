"""Confident learning against planted label noise on digits: precision, recall and coverage over seeds.

Per seed and rate: scikit-learn's digits split 800 train / 500 train-dev / 497 dev; exactly
`rate` of train-dev's and of dev's labels are moved to another class chosen uniformly (train stays
clean); the MLP of recipes/digits.py trains as `dldoctor diagnose` trains it, and the error
analysis flags suspects on train-dev and dev. Reported per rate and split: the median precision and
recall of the flagged examples against the truly moved ones, the share of runs meeting both
acceptance bars (precision ≥ 0.7, recall ≥ 0.5), and how often the estimated noise rate's interval
covers the true share moved. Prints a Markdown table.

    python benchmarks/label_noise.py --seeds 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

import dldoctor as dd
from dldoctor import held_out
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.training import fit, prepare_run

SIZES = (800, 500)  # train, train-dev; the remaining 497 are dev
PRECISION, RECALL = 0.7, 0.5


@dataclass(frozen=True)
class Outcome:
    precision: float
    recall: float
    truth: float
    rate: float
    low: float
    high: float

    @property
    def covered(self) -> bool:
        return self.low <= self.truth <= self.high

    @property
    def accepted(self) -> bool:
        return self.precision >= PRECISION and self.recall >= RECALL


def move_labels(y: np.ndarray, rate: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Exactly round(rate·n) labels moved to another class chosen uniformly; returns (labels, moved)."""
    moved = np.zeros(len(y), dtype=bool)
    moved[rng.choice(len(y), round(rate * len(y)), replace=False)] = True
    noisy = y.copy()
    noisy[moved] = (y[moved] + rng.integers(1, 10, moved.sum())) % 10
    return noisy, moved


def corrupted_recipe(rate: float, seed: int, epochs: int = 50) -> tuple[dd.Recipe, dict[str, np.ndarray]]:
    """The digits recipe with train-dev and dev labels moved; also which examples were moved."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    rng = np.random.default_rng(seed)
    train, train_dev, dev = np.split(rng.permutation(len(y)), np.cumsum(SIZES))
    y_train_dev, moved_train_dev = move_labels(y[train_dev], rate, rng)
    y_dev, moved_dev = move_labels(y[dev], rate, rng)
    splits = dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y_train_dev), dev=(x[dev], y_dev))

    def model() -> nn.Module:
        return nn.Sequential(
            nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
        )

    recipe = dd.Recipe(name="digits-noisy", model=model, data=lambda _: splits, lr=1e-3, epochs=epochs)
    return recipe, {"train_dev": moved_train_dev, "dev": moved_dev}


def analyse_corrupted(
    rate: float, seed: int, epochs: int = 50
) -> tuple[ErrorAnalysis, dict[str, np.ndarray], float]:
    """Train on the clean train split and run the error analysis on the corrupted ones; also the
    analysis's time as a share of the training time."""
    recipe, moved = corrupted_recipe(rate, seed, epochs)
    data, model, _ = prepare_run(recipe, seed, torch.device("cpu"))
    started = time.perf_counter()
    fit(model, data, recipe, seed=seed)
    trained = time.perf_counter()
    analysis = held_out.error_analysis(model, data, recipe.task, 0.95, seed)
    return analysis, moved, (time.perf_counter() - trained) / (trained - started)


def outcome(analysis: ErrorAnalysis, split: str, moved: np.ndarray) -> Outcome:
    noise = analysis.label_noise[split]
    flagged = np.array([s.index for s in noise.suspects], dtype=int)
    hits = int(moved[flagged].sum())
    return Outcome(
        precision=hits / len(flagged) if len(flagged) else 0.0,
        recall=hits / int(moved.sum()),
        truth=float(moved.mean()),
        rate=noise.rate.value,
        low=noise.rate.low,
        high=noise.rate.high,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.05, 0.10])
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    found: dict[tuple[float, str], list[Outcome]] = {}
    costs = []
    for rate in args.rates:
        for seed in range(args.seeds):
            analysis, moved, cost = analyse_corrupted(rate, seed, args.epochs)
            costs.append(cost)
            for split, truth in moved.items():
                found.setdefault((rate, split), []).append(outcome(analysis, split, truth))
    print(f"{args.seeds} seeds, {args.epochs} epochs, {time.perf_counter() - started:.0f} s")
    print(f"error analysis time / training time: median {statistics.median(costs):.2f}\n")
    print(
        "| rate moved | split | median precision | median recall | runs meeting both bars"
        " | median estimate | interval covers truth |"
    )
    print("|---|---|---|---|---|---|---|")
    for (rate, split), runs in found.items():
        print(
            f"| {rate:.0%} | {split.replace('_', '-')} | {statistics.median(o.precision for o in runs):.2f}"
            f" | {statistics.median(o.recall for o in runs):.2f}"
            f" | {sum(o.accepted for o in runs)}/{len(runs)}"
            f" | {statistics.median(o.rate for o in runs):.3f} | {sum(o.covered for o in runs)}/{len(runs)} |"
        )


if __name__ == "__main__":
    main()
