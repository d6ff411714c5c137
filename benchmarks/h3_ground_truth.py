"""Ground truth for a patient series (h3_ by default), without any verdict: train each patient's
SETUP and its CURE (or REFERENCE) with dldoctor's training engine and print the measured train /
train-dev / dev / test errors, beside the true Bayes error where the data generator lets it be
computed. Nothing from dldoctor's diagnosis is called: the expected kinds were judged from these
figures alone.

    nice python benchmarks/h3_ground_truth.py [--prefix h4_] [--only PATTERN] [--seeds 0,1]

`--prefix` picks the series (the file-name start, h3_ by default); `--only` narrows it further.

It lives beside, not in, benchmarks/patients/ so the patient sweeps never take it for a patient.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
PATIENTS = HERE / "patients"
sys.path.insert(0, str(HERE))

from patients.plain_loop import load  # noqa: E402

from dldoctor.training import evaluate, fit, prepare_run  # noqa: E402


def errors(recipe, seed: int) -> dict[str, float]:
    """Train once and measure every split in eval mode (train on the examples actually trained on)."""
    data, model, _ = prepare_run(recipe, seed, torch.device("cpu"))
    fit(model, data, recipe, seed=seed)
    return {name: evaluate(model, split, recipe.task).error for name, split in data.named().items()}


def line(label: str, recipe, seed: int) -> str:
    started = time.perf_counter()
    try:
        measured = errors(recipe, seed)
    except Exception as exc:  # a set-up that crashes is a finding too
        return f"  {label:9s} seed {seed}: crashed: {type(exc).__name__}: {exc}"[:200]
    shown = "  ".join(f"{k} {v:7.4f}" for k, v in measured.items())
    return f"  {label:9s} seed {seed}: {shown}  ({time.perf_counter() - started:4.1f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="h3_", help="patient file-name prefix: the series to run")
    parser.add_argument("--only", default="", help="substring of the patient file names to keep")
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for path in sorted(PATIENTS.glob(f"{args.prefix}*.py")):
        if args.only not in path.stem:
            continue
        module = load(path)
        bayes = getattr(module, "TRUE_BAYES", None)
        print(
            f"\n{path.stem}  [expected {module.EXPECTED}]  true Bayes: {bayes if bayes is not None else '-'}"
        )
        variants = [("setup", module.recipe)]
        for label in ("CURE", "REFERENCE"):
            if hasattr(module, label):
                variants.append((label.lower(), dataclasses.replace(module.recipe, **getattr(module, label))))
        for label, recipe in variants:
            for seed in (int(s) for s in args.seeds.split(",")):
                print(line(label, recipe, seed), flush=True)


if __name__ == "__main__":
    main()
