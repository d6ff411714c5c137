"""Two concurrent diagnoses of a small recipe: dldoctor's default threads vs one thread vs torch's own
default (one thread per usable core, passed as --threads N), each pair started together.

The processes run as users run them (`python -m dldoctor diagnose RECIPE`), so imports and start-up
count. Settings alternate within each repeat so load changes hit them alike; the figure per setting is
the median wall time until both diagnoses of a pair have finished. Last line:
`ratio torch-default/dldoctor-default: X` (above 1: our default is faster than torch's).

    python benchmarks/concurrent_threads.py [--recipe recipes/digits.py] [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dldoctor.threads import available_cores  # noqa: E402


def pair(recipe: str, epochs: int, extra: list[str]) -> float:
    """Seconds until two diagnoses started together have both finished."""
    command = [sys.executable, "-m", "dldoctor", "diagnose", recipe, "--epochs", str(epochs), "-q", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate()
        if run.returncode not in (0, 1):
            raise SystemExit(f"diagnose failed: {err.decode()[-400:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=str(REPO / "recipes" / "digits.py"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = available_cores()
    settings = {
        "dldoctor-default": [],
        "one-thread": ["--threads", "1"],
        "torch-default": ["--threads", str(cores)],
    }
    load = os.getloadavg()[0]
    print(f"{cores} usable cores · load {load:.1f} at start · {Path(args.recipe).name}, {args.epochs} epochs")
    times: dict[str, list[float]] = {name: [] for name in settings}
    for repeat in range(args.repeats):
        for name, extra in settings.items():
            times[name].append(pair(args.recipe, args.epochs, extra))
        print(f"repeat {repeat + 1}: " + " · ".join(f"{n} {t[-1]:.1f} s" for n, t in times.items()))
    median = {name: statistics.median(t) for name, t in times.items()}
    print("median: " + " · ".join(f"{n} {s:.1f} s" for n, s in median.items()))
    print(f"ratio one-thread/dldoctor-default: {median['one-thread'] / median['dldoctor-default']:.2f}")
    print(f"ratio torch-default/dldoctor-default: {median['torch-default'] / median['dldoctor-default']:.2f}")


if __name__ == "__main__":
    main()
