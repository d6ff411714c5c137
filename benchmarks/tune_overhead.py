"""Tuning overhead: `dldoctor tune` vs a hand-written Optuna loop with a plain PyTorch training loop.

Same recipe (digits, MLP 64-128-128-10, Adam), same search space (lr log-uniform in [1e-4, 1e-2], so
no trial diverges and both sides do all the work; 1 − β log-uniform; batch size a power of two),
same sampler and seed (random, so both sides train exactly the same configurations), same trials
and epochs, no pruning, dev error reported every epoch on both sides. dldoctor pays for its default
SQLite study file, heartbeats and importances; the plain loop uses an in-memory study. Runs
alternate so machine noise hits both alike; CPU (process) time is reported beside wall-clock time,
the steadier measure on a shared machine. Last line: `ratio plain/dldoctor: X` — above 1 means
dldoctor is faster.

    PYTHONPATH=. python benchmarks/tune_overhead.py [--trials 12] [--epochs 20] [--repeats 5] [--threads 1]
        [--pack auto|K]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import optuna
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import dldoctor as dd
from dldoctor.tuning.study import TuneOptions, quiet_optuna, tune

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "digits.py"
LR = (1e-4, 1e-2)


def dldoctor_run(recipe: dd.Recipe, trials: int, seed: int, pack: str = "auto") -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = TuneOptions(
            trials=trials,
            sampler="random",
            pruner="none",
            seed=seed,
            storage=f"sqlite:///{folder}/study.db",
            pack=pack,
        )
        result = tune(recipe, options)
    assert result.counts.complete == trials


def plain_run(recipe: dd.Recipe, trials: int, seed: int) -> None:
    """What people write: an objective with a DataLoader loop, study.optimize in memory."""
    splits = recipe.data(seed)
    train = TensorDataset(*(torch.as_tensor(a) for a in splits.train))
    dev_x, dev_y = (torch.as_tensor(a) for a in splits.dev)

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", *LR, log=True)
        beta = 1 - trial.suggest_float("one_minus_beta", 1e-3, 1e-1, log=True)
        batch = 2 ** trial.suggest_int("log2_batch_size", 4, 9)
        torch.manual_seed(seed)
        model = recipe.model()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(beta, 0.999))
        loader = DataLoader(train, batch_size=batch, shuffle=True)
        error = 1.0
        for epoch in range(recipe.epochs):
            model.train()
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                error = (model(dev_x).argmax(1) != dev_y).float().mean().item()
            trial.report(error, epoch)
        return error

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=trials)


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `run`."""
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both sides")
    parser.add_argument("--pack", default="auto", help="dldoctor's --pack: auto, or trials per population")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    quiet_optuna()
    recipe = dd.load_recipe(RECIPE).replace(epochs=args.epochs, search_space={"lr": LR})
    print(f"python {platform.python_version()} · torch {torch.__version__} · optuna {optuna.__version__} · "
          f"{torch.get_num_threads()} threads · {platform.processor() or platform.machine()}")  # fmt: skip
    print(
        f"recipe {recipe.name}: {args.trials} trials × {recipe.epochs} epochs, {args.repeats} repeats,"
        f" --pack {args.pack}"
    )
    dldoctor_run(recipe, 3, 0, args.pack), plain_run(recipe, 3, 0)  # warm up both paths (imports, allocators)
    ours, plain = [], []
    for repeat in range(args.repeats):
        ours.append(timed(lambda: dldoctor_run(recipe, args.trials, repeat, args.pack)))  # noqa: B023
        plain.append(timed(lambda: plain_run(recipe, args.trials, repeat)))  # noqa: B023
        print(f"repeat {repeat + 1}: dldoctor {ours[-1][0]:.2f} s ({ours[-1][1]:.2f} s CPU) · plain"
              f" {plain[-1][0]:.2f} s ({plain[-1][1]:.2f} s CPU)")  # fmt: skip
    ours_s, plain_s = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in plain)
    cpu_ratio = statistics.median(c for _, c in plain) / statistics.median(c for _, c in ours)
    print(f"median: dldoctor {ours_s:.2f} s · plain {plain_s:.2f} s · CPU-time ratio {cpu_ratio:.2f}")
    print(f"ratio plain/dldoctor: {plain_s / ours_s:.2f}")


if __name__ == "__main__":
    main()
