"""Training throughput: dldoctor's engine vs a plain PyTorch loop with a DataLoader.

Same recipe (digits, MLP 64-128-128-10, Adam lr 1e-3, batch 64, 50 epochs), same seed, both
evaluating dev error after every epoch. Two rows: the recipe as shipped, and the same recipe with a
cosine schedule (stepped per optimiser step) and gradient clipping at norm 1 — the plain loop then
steps the same CosineAnnealingLR and calls clip_grad_norm_. Runs alternate so machine noise hits
both alike. Each row ends `ratio plain/dldoctor: X` — above 1 means dldoctor trains faster.

    python benchmarks/train_throughput.py [--repeats 5] [--epochs 50] [--device cpu]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.training import build_model, fit, resolve_device

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "digits.py"


def dldoctor_run(recipe: dd.Recipe, device: torch.device, seed: int) -> float:
    data = prepare(recipe.data(seed), recipe.task, device, seed)
    model = build_model(recipe, seed, device)
    started = time.perf_counter()
    fit(model, data, recipe, seed=seed)
    _sync(device)
    return time.perf_counter() - started


def plain_run(recipe: dd.Recipe, device: torch.device, seed: int) -> float:
    """The loop most people write: TensorDataset + DataLoader, per-batch copies to the device."""
    splits = recipe.data(seed)
    train = TensorDataset(*(torch.as_tensor(a) for a in splits.train))
    dev_x, dev_y = (torch.as_tensor(a) for a in splits.dev)
    torch.manual_seed(seed)
    model = recipe.model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=(recipe.beta, 0.999))
    loader = DataLoader(train, batch_size=recipe.batch_size, shuffle=True)
    schedule = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs * len(loader))
        if recipe.scheduler == "cosine"
        else None
    )
    started = time.perf_counter()
    for _ in range(recipe.epochs):
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            if recipe.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            optimizer.step()
            if schedule is not None:
                schedule.step()
        model.eval()
        with torch.no_grad():
            (model(dev_x.to(device)).argmax(1) != dev_y.to(device)).float().mean().item()
    _sync(device)
    return time.perf_counter() - started


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = resolve_device(args.device)
    recipe = dd.load_recipe(RECIPE).replace(epochs=args.epochs)
    print(f"python {platform.python_version()} · torch {torch.__version__} · {device} · "
          f"{torch.get_num_threads()} threads · {platform.processor() or platform.machine()}")  # fmt: skip
    print(f"recipe {recipe.name}: {recipe.epochs} epochs, batch {recipe.batch_size}, {args.repeats} repeats")
    rows = {
        "as shipped": recipe,
        "cosine schedule + grad_clip 1": recipe.replace(scheduler="cosine", grad_clip=1.0),
    }
    for label, row in rows.items():
        compare(label, row, device, args.repeats)
    sys.stdout.flush()


def compare(label: str, recipe: dd.Recipe, device: torch.device, repeats: int) -> None:
    """One row: both loops on `recipe`, alternating, medians and their ratio."""
    print(f"{label}:")
    dldoctor_run(recipe, device, 0), plain_run(recipe, device, 0)  # warm up both paths
    ours, theirs = [], []
    for i in range(repeats):
        ours.append(dldoctor_run(recipe, device, i))
        theirs.append(plain_run(recipe, device, i))
        print(f"  repeat {i + 1}: dldoctor {ours[-1]:.3f} s   plain {theirs[-1]:.3f} s", flush=True)
    mine, plain = statistics.median(ours), statistics.median(theirs)
    print(f"  median: dldoctor {mine:.3f} s, plain {plain:.3f} s")
    print(f"  ratio plain/dldoctor: {plain / mine:.2f}")


if __name__ == "__main__":
    main()
