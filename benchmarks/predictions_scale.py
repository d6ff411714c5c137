"""Diagnosis from saved predictions at scale: 1,000,000 dev rows of 1,000 classes, on CPU.

Writes an .npz (float32 logits: the right class scores 3 above the rest, N(0, 1) noise; 100,000
train and 20,000 train-dev rows beside the dev rows) member by member, so the writer never holds
an array whole either, then runs `load_predictions` + `diagnose_predictions` with error analysis
on, twice, each in a fresh process so that each peak resident memory (ru_maxrss) is its own:
the default run (the Bayes error estimated from the 10,000 sampled train-dev outputs) and with
the Bayes error given (`--bayes-error 0.05`). The baseline in the same run is one bare pass
reading the same archive's bytes (no decoding, no arithmetic), so the ratio says what the
diagnosis costs over I/O. Last line: `ratio diagnose/read: X (estimated), Y (given)`.

    PYTHONPATH=. python benchmarks/predictions_scale.py [--dev-rows 1000000] [--classes 1000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch

import dldoctor as dd

CHUNK = 20_000


def write(path: Path, sizes: dict[str, int], classes: int, seed: int = 0) -> None:
    """np.savez's layout (one .npy per key, stored), written a chunk of rows at a time."""
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for split, n in sizes.items():
            labels = rng.integers(0, classes, size=n)
            _member(archive, f"{split}_labels", labels)
            header = {"descr": "<f4", "fortran_order": False, "shape": (n, classes)}
            with archive.open(f"{split}_outputs.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array_header_2_0(f, header)
                for start in range(0, n, CHUNK):
                    y = labels[start : start + CHUNK]
                    logits = rng.standard_normal((len(y), classes), dtype=np.float32)
                    logits[np.arange(len(y)), y] += 3.0
                    f.write(logits.tobytes())
        _member(archive, "task", np.asarray("classification"))


def _member(archive: zipfile.ZipFile, key: str, array: np.ndarray) -> None:
    with archive.open(f"{key}.npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, array)


def read_bytes(path: Path) -> float:
    """The baseline: every member's bytes read once, in 64 MiB pieces."""
    started = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as f:
                while f.read(64 << 20):
                    pass
    return time.perf_counter() - started


def _cpu() -> float:
    """This process's CPU seconds: on a shared machine, steadier than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(path: Path, bayes_error: float | None) -> dict[str, object]:
    """One diagnosis in this process: wall and CPU seconds, peak resident memory, what it found."""
    cpu_before, started = _cpu(), time.perf_counter()
    report = dd.diagnose_predictions(dd.load_predictions(path), dd.DiagnoseOptions(bayes_error=bayes_error))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu_before
    analysis = report.error_analysis
    assert analysis is not None and analysis.calibration is not None
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "verdict": report.verdict,
        "dev_error": report.errors["dev"].value,
        "bayes": report.bayes.method,
        "label_noise": analysis.label_noise["dev"].rate.value,
        "ece": analysis.calibration.ece.value,
    }


def in_fresh_process(path: Path, bayes_error: float | None) -> dict[str, object]:
    given = [] if bayes_error is None else ["--bayes-error", str(bayes_error)]
    command = [sys.executable, __file__, "--keep", str(path), "--child", *given]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="write the file here (and reuse it)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bayes-error", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = args.keep or Path("/tmp/dldoctor_predictions_scale.npz")
    if args.child:
        print(json.dumps(run(path, args.bayes_error)))
        return
    sizes = {"train": 100_000, "train_dev": 20_000, "dev": args.dev_rows}
    if not path.exists():
        started = time.perf_counter()
        write(path, sizes, args.classes)
        print(
            f"wrote {path} ({path.stat().st_size / 2**30:.2f} GiB) in {time.perf_counter() - started:.1f} s"
        )
    print(f"python {platform.python_version()} · torch {torch.__version__} · {torch.get_num_threads()}"
          f" threads · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs"
          f" · load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    size = path.stat().st_size / 2**30
    print(f"rows {sizes} · {args.classes} classes · file {size:.2f} GiB")
    baseline = read_bytes(path)
    print(f"read the bytes once: {baseline:.1f} s")
    ratios = []
    for name, bayes_error in (("estimated", None), ("given", 0.05)):
        found = in_fresh_process(path, bayes_error)
        ratios.append(f"{float(found['seconds']) / baseline:.2f} ({name})")  # type: ignore[arg-type]
        print(f"Bayes error {name}: {found['seconds']:.1f} s wall, {found['cpu']:.1f} s CPU (user + system),"
              f" peak RSS {found['peak_gib']:.2f} GiB ({float(found['peak_gib']) / size:.2f}× the file)"  # type: ignore[arg-type]
              f" · verdict {found['verdict']} · dev error {found['dev_error']:.4f}"
              f" · dev label noise {found['label_noise']:.4f} · ECE {found['ece']:.4f}"
              f" · Bayes: {found['bayes']}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"ratio diagnose/read: {', '.join(ratios)}")


if __name__ == "__main__":
    main()
