"""What a full diagnosis costs: `diagnose` with every probe on vs one plain training run.

Digits recipe as shipped (MLP 64-128-128-10, Adam, batch 64, 50 epochs). The diagnosis trains once with the
gradient monitor on, evaluates every split, estimates the Bayes error, fits the convex easier
model, runs the one-batch sanity checks and the Hessian analysis (plus, when its first reading
calls for them, the shallow baselines and the range test). The baseline is the training loop most
people write for the same epochs (DataLoader, per-batch copies, dev error each epoch). Runs
alternate so machine noise hits both alike. Also printed, for honesty: our own engine's bare
training time, so the probes' cost over it is visible.
Last line: `ratio diagnose/plain: X` — at most 1.5 is the target.

    python benchmarks/diagnose_overhead.py [--repeats 5] [--epochs 50] [--device cpu] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import torch
from train_throughput import RECIPE, dldoctor_run, plain_run

import dldoctor as dd
from dldoctor.training import resolve_device


def diagnose_run(recipe: dd.Recipe, device: torch.device, seed: int) -> tuple[float, dd.Report]:
    started = time.perf_counter()
    report = dd.diagnose(recipe, dd.DiagnoseOptions(seed=seed, device=str(device)))
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's own")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads for every side")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    recipe = dd.load_recipe(RECIPE).replace(epochs=args.epochs)
    print(f"python {platform.python_version()} · torch {torch.__version__} · {device} · "
          f"{torch.get_num_threads()} threads · {platform.processor() or platform.machine()}")  # fmt: skip
    print(f"recipe {recipe.name}: {recipe.epochs} epochs, batch {recipe.batch_size}, {args.repeats} repeats")
    diagnose_run(recipe, device, 0), plain_run(recipe, device, 0)  # warm up both paths
    full, plain, bare = [], [], []
    for i in range(args.repeats):
        seconds, report = diagnose_run(recipe, device, i)
        full.append(seconds)
        plain.append(plain_run(recipe, device, i))
        bare.append(dldoctor_run(recipe, device, i))
        ran = sorted(
            {
                "training",
                "bayes",
                *(k for k in ("sanity", "gradients", "critical_point") if getattr(report, k)),
            }
        )
        print(
            f"  repeat {i + 1}: diagnose {full[-1]:.3f} s ({report.verdict}; {', '.join(ran)})"
            f"   plain {plain[-1]:.3f} s   our bare training {bare[-1]:.3f} s",
            flush=True,
        )
    d, p, b = statistics.median(full), statistics.median(plain), statistics.median(bare)
    print(f"median: diagnose {d:.3f} s, plain training {p:.3f} s, our bare training {b:.3f} s")
    print(f"ratio diagnose/our bare training: {d / b:.2f}")
    print(f"ratio diagnose/plain: {d / p:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
