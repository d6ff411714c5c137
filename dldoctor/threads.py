"""Torch CPU threads that fit the work.

torch starts one intra-op thread per core it sees. A small model's operations are too short to split,
so extra threads only spin against each other, and on a shared machine (CI containers, two runs side
by side) they oversubscribe the cores: measured, two concurrent tiny diagnoses on 2 cores took several
times longer at torch's default than at one thread each. The command line therefore picks the count
once the model is known: one thread under SMALL_MODEL parameters, else the cores this process may use
(CPU affinity and the cgroup's CPU quota, not the machine's core count). `--threads N` overrides it.
Library callers who never `configure` keep torch's own setting.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dldoctor.errors import UsageError

if TYPE_CHECKING:  # torch is imported only when threads are set: `dldoctor report` runs without it
    from torch import nn

SMALL_MODEL = 1_000_000  # parameters; below this one thread is as fast alone and far faster when shared

_request: dict[str, int | None] = {}  # "threads": the count asked for (None: automatic), "share": workers


def configure(requested: int | None, share: int = 1) -> None:
    """Manage threads for this process: `requested` now, or automatically (None) once `fit` sees the
    model; `share` processes split the cores (tune workers)."""
    if requested is not None and (not isinstance(requested, int) or requested < 1):
        raise UsageError(f"--threads must be a positive integer, got {requested!r}")
    _request.update(threads=requested, share=max(1, share))
    if requested is not None:
        import torch

        torch.set_num_threads(requested)


def requested() -> int | None:
    """The count asked for with --threads (None: automatic or unmanaged)."""
    return _request.get("threads")


def fit(model: nn.Module) -> None:
    """Settle the automatic count for `model`; nothing when threads are unmanaged or fixed."""
    if not _request or _request["threads"] is not None:
        return
    import torch

    parameters = sum(p.numel() for p in model.parameters())
    torch.set_num_threads(default_threads(parameters, _request["share"] or 1))


def default_threads(parameters: int, share: int = 1) -> int:
    """One thread for a small model, else this process's share of the usable cores."""
    if parameters < SMALL_MODEL:
        return 1
    return max(1, available_cores() // share)


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    quota = cgroup_quota()
    return max(1, min(cores, math.ceil(quota))) if quota else max(1, cores)


def cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs the cgroup may use (cgroup v2 cpu.max, or v1 cfs quota / period); None when unlimited."""
    try:
        limit, every = (root / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(every)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
