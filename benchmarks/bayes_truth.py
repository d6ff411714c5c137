"""Bayes-error estimators against closed-form truths, over seeds: bias, coverage and time.

Cases (n = 5000 train + 5000 train-dev each): two Gaussians with identity covariance and
Mahalanobis distance 2 in 10-D and 50-D (B = Φ(−1)); three separated classes with labels moved to
another class with probability 0.2 (B = 0.2); y = f(x) + N(0, 0.25) in 4-D (σ² = 0.25). Each case
is also estimated with a small MLP trained on train (its embedding and outputs are read on
train-dev), as `dldoctor diagnose` does. Prints a Markdown table.

    python benchmarks/bayes_truth.py --seeds 10
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from statistics import NormalDist

import numpy as np
import torch
from torch import nn

import dldoctor as dd
from dldoctor import bayes
from dldoctor.data import prepare
from dldoctor.recipe import Recipe
from dldoctor.stats import Estimate
from dldoctor.training import fit

NO_CAP = Estimate(math.inf, math.inf, math.inf)
GAUSSIAN_TRUTH = NormalDist().cdf(-1.0)


def gaussians(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes, means ±e1 (Mahalanobis distance 2), identity covariance."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, d))
    x[:, 0] += 2.0 * y - 1.0
    return x.astype(np.float32), y


def flipped(n: int, seed: int, flip: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Three far-apart classes; each label moves to another class with probability `flip`."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = 8.0 * np.eye(3, 2)[y] + rng.standard_normal((n, 2))
    moved = rng.random(n) < flip
    y[moved] = (y[moved] + rng.integers(1, 3, moved.sum())) % 3
    return x.astype(np.float32), y


def noisy_function(n: int, seed: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """y = sin(x1) + x2²/2 + x3·x4/2 + N(0, noise²) on [-2, 2]^4."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 4))
    f = np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2 + 0.5 * x[:, 2] * x[:, 3]
    return x.astype(np.float32), (f + rng.normal(0, noise, n)).astype(np.float32)


CASES = {
    "gaussians 10-D": ("classification", lambda n, s: gaussians(n, 10, s), GAUSSIAN_TRUTH),
    "gaussians 50-D": ("classification", lambda n, s: gaussians(n, 50, s), GAUSSIAN_TRUTH),
    "3 classes, 20 % flipped": ("classification", flipped, 0.2),
    "regression, σ² = 0.25": ("regression", noisy_function, 0.25),
}


def trained_model(data, task: str, d: int, outputs: int, seed: int) -> nn.Module:
    """The small MLP a user might train: one hidden layer of 32, Adam, a few epochs, weight decay."""
    recipe = Recipe(
        name="study",
        model=lambda: None,
        data=lambda s: None,
        task=task,
        lr=3e-3,
        batch_size=256,
        epochs=10,
        weight_decay=1e-2,
        optimizer="adamw",
    )
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, outputs))
    fit(model, data, recipe, seed=seed)
    return model


def run_case(name: str, seed: int, n: int, with_model: bool) -> tuple[bayes.BayesEstimate, float]:
    task, make, _ = CASES[name]
    train, held = make(n, seed), make(n, seed + 10_000)
    splits = dd.Splits(train=train, train_dev=held, dev=make(50, seed + 20_000))
    data = prepare(splits, task, torch.device("cpu"), seed)
    model = None
    if with_model:
        outputs = int(train[1].max()) + 1 if task == "classification" else 1
        model = trained_model(data, task, train[0].shape[1], outputs, seed)
    started = time.perf_counter()
    est = bayes.estimate(
        data,
        task,
        int(train[1].max()) + 1 if task == "classification" else None,
        NO_CAP,
        seed=seed,
        model=model,
    )
    return est, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    print("| case | truth | model | estimator | mean | mean − truth | coverage | mean time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (_, _, truth) in CASES.items():
        for with_model in (False, True):
            values, covered, seconds = defaultdict(list), defaultdict(int), defaultdict(list)
            for seed in range(args.seeds):
                est, total = run_case(name, seed, args.n, with_model)
                for c in est.candidates:
                    values[c.name].append(c.value)
                    covered[c.name] += c.low <= truth <= c.high
                    seconds[c.name].append(c.seconds)
                values["chosen"].append(est.estimate.value)
                covered["chosen"] += est.estimate.low <= truth <= est.estimate.high
                seconds["chosen"].append(total)
                values[f"chosen = {est.chosen}"].append(0)
            for key, vals in values.items():
                if key.startswith("chosen = "):
                    print(f"| {name} | | {'MLP' if with_model else 'none'} | {key} ({len(vals)}×) | | | | |")
                    continue
                mean = float(np.mean(vals))
                print(
                    f"| {name} | {truth:.4f} | {'MLP' if with_model else 'none'} | {key} | {mean:.4f} |"
                    f" {mean - truth:+.4f} | {covered[key]}/{len(vals)} | {np.mean(seconds[key]):.2f} |"
                )


if __name__ == "__main__":
    main()
