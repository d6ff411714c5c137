"""Diagnosis from saved predictions at scale: 1,000,000 dev rows of 1,000 classes, on CPU.

Writes an .npz (float32 logits: the right class scores 3 above the rest, N(0, 1) noise; 100,000
train and 20,000 train-dev rows beside the dev rows) member by member, so the writer never holds
an array whole either, then runs `load_predictions` + `diagnose_predictions`. The baseline in the
same run is one bare pass reading the same archive's bytes (no decoding, no arithmetic), so the
ratio says what the diagnosis costs over I/O. Peak resident memory is read from the kernel
(ru_maxrss) and compared with the size of the outputs.

By default the Bayes error is given (`--bayes-error 0.05`), which times the streaming path: errors,
intervals, gaps, the mismatch test, the verdict. `--estimate` also runs the Bayes estimators on
the 10,000 sampled train-dev outputs (1,000-dimensional: slow with many classes, see RESULTS.md).
Last line: `ratio diagnose/read: X`.

    PYTHONPATH=. python benchmarks/predictions_scale.py [--dev-rows 1000000] [--classes 1000] [--estimate]
"""

from __future__ import annotations

import argparse
import platform
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="write the file here (and reuse it)")
    parser.add_argument("--estimate", action="store_true", help="estimate the Bayes error too")
    args = parser.parse_args()
    path = args.keep or Path("/tmp/dldoctor_predictions_scale.npz")
    sizes = {"train": 100_000, "train_dev": 20_000, "dev": args.dev_rows}
    if not path.exists():
        started = time.perf_counter()
        write(path, sizes, args.classes)
        print(
            f"wrote {path} ({path.stat().st_size / 2**30:.2f} GiB) in {time.perf_counter() - started:.1f} s"
        )
    print(f"python {platform.python_version()} · torch {torch.__version__} · {torch.get_num_threads()}"
          f" threads · {platform.processor() or platform.machine()}")  # fmt: skip
    print(f"rows {sizes} · {args.classes} classes · outputs {path.stat().st_size / 2**30:.2f} GiB")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    baseline = read_bytes(path)
    cpu_before = _cpu()
    started = time.perf_counter()
    options = dd.DiagnoseOptions(bayes_error=None if args.estimate else 0.05)
    report = dd.diagnose_predictions(dd.load_predictions(path), options)
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"read the bytes once: {baseline:.1f} s")
    print(f"diagnose --predictions: {seconds:.1f} s wall, {cpu:.1f} s CPU (user + system) ·"
          f" verdict {report.verdict} · dev error {report.errors['dev'].value:.4f}"
          f" · Bayes {report.bayes.method}")  # fmt: skip
    print(f"peak resident memory {peak:.2f} GiB (before: {before:.2f} GiB) for"
          f" {path.stat().st_size / 2**30:.2f} GiB of outputs")  # fmt: skip
    print(f"ratio diagnose/read: {seconds / baseline:.2f}")


if __name__ == "__main__":
    main()
