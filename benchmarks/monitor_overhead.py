"""What `dd.monitor` costs a training loop: the same hand-written digits loop with and without it.

The digits recipe (MLP 64-128-128-10, Adam lr 1e-3, batch 64, 50 epochs), a loop over in-memory tensors with
`zero_grad`/`backward`/`step`, and after each epoch both sides evaluate train, train-dev and dev
with the same function. The monitored side adds `doc.step(loss)` per step and `doc.epoch(...)` per
epoch, with default sampling (48 steps over the run). `doc.diagnose()` (the post-training probes)
is timed apart. Runs alternate, so machine noise hits both alike.
Last line: `ratio monitored/plain: X` — under 1.10 is the target.

    PYTHONPATH=. python benchmarks/monitor_overhead.py [--repeats 5] [--epochs 50] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "recipes"))
from toolkit import digits_splits, mlp

import dldoctor as dd
from dldoctor.data import TensorSplit, prepare
from dldoctor.training import evaluate

BATCH = 64


def splits(seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The digits recipe's splits (recipes/digits.py), train-dev carved as diagnose carves it."""
    found = prepare(digits_splits(seed), "classification", torch.device("cpu"), seed)
    return {name: (s.x, s.y) for name, s in found.named().items()}


def loop(data: dict, epochs: int, seed: int, watched: bool) -> tuple[float, dd.Report | None]:
    """One training run; returns its seconds (training and per-epoch evaluation) and the monitor."""
    torch.manual_seed(seed)
    model = mlp([64, 128, 128, 10])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = data["train"]
    generator = torch.Generator().manual_seed(seed)
    doc = dd.monitor(model, optimizer, task="classification", epochs=epochs) if watched else None
    started = time.perf_counter()
    if doc is not None:
        doc.__enter__()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), BATCH):
            index = order[i : i + BATCH]
            loss = nn.functional.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if doc is not None:
                doc.step(loss)
        if doc is not None:
            doc.epoch(**data)
        else:
            for name, (a, b) in data.items():
                evaluate(model, TensorSplit(name, a, b), "classification")
    if doc is not None:
        doc.__exit__(None, None, None)
    return time.perf_counter() - started, doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = splits(0)
    print(f"python {platform.python_version()} · torch {torch.__version__} · {args.threads} threads · "
          f"{platform.processor() or platform.machine()}")  # fmt: skip
    steps = -(-len(data["train"][1]) // BATCH)
    print(f"digits loop: {args.epochs} epochs × {steps} steps, {args.repeats} repeats")
    loop(data, 1, 0, True), loop(data, 1, 0, False)  # warm up both paths
    plain, watched = [], []
    for i in range(args.repeats):
        plain.append(loop(data, args.epochs, i, False)[0])
        seconds, doc = loop(data, args.epochs, i, True)
        watched.append(seconds)
    started = time.perf_counter()
    report = doc.diagnose()
    probes = time.perf_counter() - started
    p, w = statistics.median(plain), statistics.median(watched)
    print(f"plain loop      median {p:.3f} s  (runs: {', '.join(f'{s:.2f}' for s in plain)})")
    print(f"monitored loop  median {w:.3f} s  (runs: {', '.join(f'{s:.2f}' for s in watched)})")
    print(f"doc.diagnose() after the last run: {probes:.2f} s, verdict {report.verdict},"
          f" {report.gradients.samples} sampled steps")  # fmt: skip
    print(f"ratio monitored/plain: {w / p:.3f}")


if __name__ == "__main__":
    main()
