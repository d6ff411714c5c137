"""Mixed precision on a GPU: diagnose recipes at fp32, bf16 and fp16 and print verdict, errors, time
and peak GPU memory, so the autocast and grad-scaler paths are checked against fp32 on CUDA.

    PYTHONPATH=. python benchmarks/precision_gpu.py recipes/digits.py recipes/digits_cnn.py recipes/healthy.py
"""

from __future__ import annotations

import sys
import time

import torch

import dldoctor as dd


def main(paths: list[str]) -> None:
    if not torch.cuda.is_available():
        sys.exit("precision_gpu.py needs a CUDA device")
    print(f"torch {torch.__version__} · {torch.cuda.get_device_name()}")
    for path in paths:
        recipe = dd.load_recipe(path)
        for precision in ("fp32", "bf16", "fp16"):
            torch.cuda.reset_peak_memory_stats()
            started = time.perf_counter()
            report = dd.diagnose(recipe.replace(precision=precision), dd.DiagnoseOptions(device="cuda"))
            seconds = time.perf_counter() - started
            errors = {name: round(e.value, 4) for name, e in report.errors.items() if e is not None}
            peak = torch.cuda.max_memory_allocated() / 2**20
            print(f"{path} {precision}: {report.verdict} {errors} {seconds:.1f} s, peak {peak:.0f} MiB,"
                  f" probe failures {list(report.probe_failures)}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
