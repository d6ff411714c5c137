"""Packed trials: 16 trials of the digits MLP trained one by one vs as one population, same epochs.

Both sides use dldoctor's runners on data prepared once: `SequentialRunner` (the training engine,
fused optimisers) and `PackedRunner` (one torch.func population). The trials differ in lr and β
(log-uniform, seeded) and share the batch size, as a packed study groups them. Runs alternate so
machine noise hits both alike; the packed side's dev errors are checked against the sequential ones.
Both wall-clock and CPU (process) time are reported: on a shared machine the CPU time is the steadier
measure of the work (one thread per side). On a GPU the mean GPU utilisation during each side's runs is
sampled every 20 ms (NVML through torch). Last line: `ratio sequential/packed: X` (wall clock).

    PYTHONPATH=. python benchmarks/packed_trials.py [--trials 16] [--epochs 20] [--repeats 3] [--threads 1]
        [--device cuda]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import torch

import dldoctor as dd
from dldoctor.training import prepare_run, resolve_device
from dldoctor.tuning.runner import PackedRunner, SequentialRunner, TrialOutcome, TrialPlan

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "digits.py"


def plans(recipe: dd.Recipe, count: int, batch: int) -> list[TrialPlan]:
    rng = np.random.default_rng(0)
    lrs = 10 ** rng.uniform(-4, -2, count)
    betas = 1 - 10 ** rng.uniform(-3, -1, count)
    return [
        TrialPlan(i, recipe.replace(lr=float(lr), beta=float(beta), batch_size=batch), {}, 0)
        for i, (lr, beta) in enumerate(zip(lrs, betas, strict=True))
    ]


class Utilisation:
    """Samples the GPU's utilisation (% of time a kernel ran, NVML) in a thread while a side runs."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.samples.append(float(torch.cuda.utilization(self.device)))

    def __enter__(self) -> Utilisation:
        if self.device.type == "cuda":
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def mean(self) -> float | None:
        return statistics.mean(self.samples) if self.samples else None


def timed(
    runner: SequentialRunner | PackedRunner, trials: list[TrialPlan]
) -> tuple[float, float, float | None, list[TrialOutcome]]:
    """(wall seconds, CPU seconds, mean GPU utilisation % or None, outcomes)."""
    if runner.device.type == "cuda":
        torch.cuda.synchronize()
    with Utilisation(runner.device) as busy:
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = runner.run(trials, lambda number, epoch, value: False)
        if runner.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    return seconds, time.process_time() - cpu, busy.mean(), outcomes


def percent(value: float | None) -> str:
    return "" if value is None else f", GPU busy {value:.0f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    recipe = dd.load_recipe(RECIPE).replace(epochs=args.epochs)
    data, _, _ = prepare_run(recipe, 0, device)
    trials = plans(recipe, args.trials, args.batch)
    sequential = SequentialRunner(data, "dev_error", device)
    packed = PackedRunner(data, "dev_error", device, args.trials)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"torch {torch.__version__} · {device} ({name}) · {torch.get_num_threads()} threads")
    print(
        f"{recipe.name}: {args.trials} trials × {args.epochs} epochs,"
        f" batch {args.batch}, {args.repeats} repeats"
    )
    timed(sequential, trials[:2]), timed(packed, trials[:2])  # warm up both paths
    seq_s, pack_s, seq_cpu, pack_cpu = [], [], [], []
    for repeat in range(args.repeats):
        seconds, cpu, seq_busy, alone = timed(sequential, trials)
        seq_s.append(seconds)
        seq_cpu.append(cpu)
        seconds, cpu, pack_busy, together = timed(packed, trials)
        pack_s.append(seconds)
        pack_cpu.append(cpu)
        gap = max(abs(a.value - b.value) for a, b in zip(alone, together, strict=True))
        print(f"repeat {repeat + 1}: sequential {seq_s[-1]:.2f} s ({seq_cpu[-1]:.2f} s CPU"
              f"{percent(seq_busy)}) · packed {pack_s[-1]:.2f} s ({pack_cpu[-1]:.2f} s CPU"
              f"{percent(pack_busy)}) · largest dev-error difference {gap:.4f}")  # fmt: skip
    seq, pack = statistics.median(seq_s), statistics.median(pack_s)
    cpu_ratio = statistics.median(seq_cpu) / statistics.median(pack_cpu)
    print(f"median: sequential {seq:.2f} s · packed {pack:.2f} s · CPU-time ratio {cpu_ratio:.2f}")
    print(f"ratio sequential/packed: {seq / pack:.2f}")


if __name__ == "__main__":
    main()
