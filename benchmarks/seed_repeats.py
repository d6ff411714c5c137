"""Seed repeats (`diagnose --seed-repeats K`): K reruns of the digits MLP packed vs one at a time.

Both sides run the probe's own `repeat` on data prepared once, the same K seeds, alternating so
that machine noise hits both alike; the packed errors are checked against the one-at-a-time ones.
After one untimed epoch of each, both are reported against one main training run (fit with train_dev
off, as the repeats run), in wall clock and CPU (process) time — on a shared machine the CPU time is
the steadier measure.
The spread lines the report would show close the output.

    PYTHONPATH=. python benchmarks/seed_repeats.py [--seeds 8] [--epochs 50] [--repeats 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

from dldoctor.probes.seed_repeat import SPLITS, SeedRepeats, repeat, spread_section
from dldoctor.recipe import load_recipe
from dldoctor.training import build_model, evaluate, fit, prepare_run
from dldoctor.tuning.packing import Packing, seed_packing

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "digits.py"
CPU = torch.device("cpu")


def timed(work: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    recipe = load_recipe(RECIPE).replace(epochs=args.epochs)
    data = prepare_run(recipe, 0, CPU)[0]
    seeds = tuple(range(1, args.seeds + 1))
    packing = seed_packing(recipe, build_model(recipe, 1, CPU), data, CPU, len(seeds))
    print(f"packing: {packing.size} per population ({packing.reason})")
    sides: dict[str, list[tuple[float, float]]] = {"main": [], "packed": [], "sequential": []}
    found: dict[str, tuple[dict[str, float] | None, ...]] = {}
    warm = recipe.replace(epochs=1)  # first calls pay for lazy initialisation: keep it out of the timings
    fit(build_model(warm, 0, CPU), data, warm, seed=0, train_dev=False)
    repeat(warm, data, CPU, seeds, packing)
    for _ in range(args.repeats):
        mine = build_model(recipe, 0, CPU)
        sides["main"].append(timed(partial(fit, mine, data, recipe, seed=0, train_dev=False))[1:])
        for side, chosen in (("packed", packing), ("sequential", Packing(1, "one at a time"))):
            errors, wall, cpu = timed(partial(repeat, recipe, data, CPU, seeds, chosen))
            sides[side].append((wall, cpu))
            found[side] = errors  # type: ignore[assignment]
    assert _agree(found["packed"], found["sequential"]), "packed and sequential seed repeats disagree"
    median = {side: statistics.median(w for w, _ in runs) for side, runs in sides.items()}
    for side, runs in sides.items():
        cpu = statistics.median(c for _, c in runs)
        ratio = median[side] / median["main"]
        print(f"{side:>10}: wall {median[side]:6.2f} s ({ratio:4.1f}× main)  cpu {cpu:6.2f} s")
    own = {split: evaluate(mine, data.named()[split], recipe.task).error for split in SPLITS}
    result = SeedRepeats(0, seeds, found["packed"], own, packing, median["packed"], median["main"])
    print("\n".join(spread_section(result, recipe.task, 0.95).lines))
    print(f"ratio sequential/packed: {median['sequential'] / median['packed']:.2f}")


def _agree(a: tuple[dict[str, float] | None, ...], b: tuple[dict[str, float] | None, ...]) -> bool:
    return all(
        (x is None) == (y is None) and (x is None or all(abs(x[s] - y[s]) < 1e-9 for s in SPLITS))  # type: ignore[index]
        for x, y in zip(a, b, strict=True)
    )


if __name__ == "__main__":
    main()
