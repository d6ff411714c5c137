"""Every patient trained in a plain hand-written PyTorch loop, beside its cure, so a reader sees the
fault really manifest before any doctor looks at it. No dldoctor training code runs here: only each
patient's own model factory, data function and training settings are read.

    python benchmarks/patients/plain_loop.py [--only PATTERN] [--seed 0]

Per patient: train / train-dev / dev (/ test) error, the training loss after the first epoch, at the
middle and at the end, and whether it was still falling; then the same for `CURE` (the set-up with the
fault removed) where the patient has one, and `REFERENCE` (a stronger set-up) for healthy controls
that give one, to show they already sit near the best reachable. Train-dev, when the patient gives
none, is 10 % of train (at least 500, at most a quarter), as dldoctor would carve it.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
DEFAULTS = dict(task="classification", optimizer="adam", lr=1e-3, beta=0.9, batch_size=64, epochs=20)


def load(path: Path) -> ModuleType:
    """Execute a patient file; a Recipe the current dldoctor refuses leaves its settings readable."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"patient_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        module.recipe.validate()
    except Exception as exc:  # an issue-13 field: the settings above the Recipe line are still there
        module.REFUSED = f"{type(exc).__name__}: {exc}"
    return module


def tensors(split: Any, task: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = split
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y))
    return x, (y.long() if task == "classification" else y.float())


def optimiser(setup: dict, params: Any) -> torch.optim.Optimizer:
    name, lr, beta, wd = setup["optimizer"], setup["lr"], setup["beta"], setup.get("weight_decay", 0.0)
    kwargs = dict(setup.get("optimizer_kwargs") or {})
    if callable(name):
        return name(params, lr, beta, wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=beta, weight_decay=wd, **kwargs)
    if name in ("adam", "adamw", "nadam"):
        cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam}[name]
        return cls(params, lr=lr, betas=(beta, 0.999), weight_decay=wd, **kwargs)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=beta, weight_decay=wd, **kwargs)
    return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, **kwargs)


def schedule(setup: dict, opt: torch.optim.Optimizer, steps: int) -> Any:
    """The recipe's scheduler, stepped per optimiser step: a factory, or "cosine" (lr → 0)."""
    if setup.get("scheduler") == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    return setup["scheduler"](opt, steps) if setup.get("scheduler") else None


def per_example_loss(setup: dict, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if setup.get("loss") is not None:
        return setup["loss"](out, y)
    if setup["task"] == "classification":
        return nn.functional.cross_entropy(out, y, reduction="none")
    if setup["task"] == "multilabel":
        return nn.functional.binary_cross_entropy_with_logits(out, y.float(), reduction="none").mean(1)
    return (out - y) ** 2


def error(setup: dict, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.train()
    if setup["task"] == "classification":
        return (out.argmax(1) != y).float().mean().item()
    if setup["task"] == "multilabel":
        return ((out > 0).float() != y).float().mean().item()
    return ((out - y) ** 2).mean().item()


def carve(train: tuple, seed: int) -> tuple[tuple, tuple]:
    n = len(train[1])
    k = min(max(500, n // 10), n // 4)
    order = np.random.default_rng(seed).permutation(n)
    x, y = np.asarray(train[0]), np.asarray(train[1])
    return (x[order[k:]], y[order[k:]]), (x[order[:k]], y[order[:k]])


def train(setup: dict, seed: int) -> dict[str, Any]:
    """The loop most people write: shuffle, forward, mean loss, backward, (clip,) step, (schedule)."""
    torch.manual_seed(seed)
    splits = setup["data"](seed)
    train_split, train_dev = (
        (splits.train, splits.train_dev) if splits.train_dev else carve(splits.train, seed)
    )
    named = {"train": train_split, "train-dev": train_dev, "dev": splits.dev, "test": splits.test}
    data = {k: tensors(v, setup["task"]) for k, v in named.items() if v is not None}
    x, y = data["train"]
    model = setup["model"]()
    opt = optimiser(setup, model.parameters())
    steps = setup["epochs"] * math.ceil(len(y) / setup["batch_size"])
    scheduler = schedule(setup, opt, steps)
    losses = []
    for _ in range(setup["epochs"]):
        order = torch.randperm(len(y)) if setup.get("shuffle", True) else torch.arange(len(y))
        total = 0.0
        for start in range(0, len(y), setup["batch_size"]):
            idx = order[start : start + setup["batch_size"]]
            loss = per_example_loss(setup, model(x[idx]), y[idx]).mean()
            opt.zero_grad()
            loss.backward()
            if setup.get("grad_clip"):
                nn.utils.clip_grad_norm_(model.parameters(), setup["grad_clip"])
            opt.step()
            if scheduler:
                scheduler.step()
            total += loss.item() * len(idx)
        losses.append(total / len(y))
    errors = {k: error(setup, model, *v) for k, v in data.items()}
    return {"errors": errors, "losses": losses}


def describe(result: dict[str, Any]) -> str:
    errors = "  ".join(f"{k} {v:7.4f}" for k, v in result["errors"].items())
    loss = result["losses"]
    falling = len(loss) >= 2 and loss[-1] < 0.97 * loss[-2]
    return (
        f"{errors}  | loss {loss[0]:.3g} → {loss[len(loss) // 2]:.3g} → {loss[-1]:.3g}"
        f"{'  (still falling)' if falling else ''}"
    )


def run(path: Path, seed: int) -> None:
    module = load(path)
    print(f"\n{path.stem}  [expected {module.EXPECTED}]  {module.SOURCE}")
    if hasattr(module, "REFUSED"):
        print(f"  (not expressible as a dldoctor Recipe yet: {module.REFUSED.splitlines()[0][:120]})")
    setup = DEFAULTS | module.SETUP
    others = [(label, getattr(module, label.upper(), None)) for label in ("cure", "reference")]
    for label, variant in [("patient", setup)] + [(k, setup | v) for k, v in others if v is not None]:
        try:
            print(f"  {label:8s} {describe(train(variant, seed))}")
        except Exception:
            print(f"  {label:8s} crashed: {traceback.format_exc(limit=1).splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="substring of the patient file names to run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for path in sorted(HERE.glob("*.py")):
        if path.stem in ("clinic", "plain_loop") or args.only not in path.stem:
            continue
        run(path, args.seed)


if __name__ == "__main__":
    main()
