"""Published verdict accuracy: `dldoctor.diagnose` on every shipped recipe, every patient in
benchmarks/patients/ (held out: never tune on them) and every development case in
benchmarks/dev_cases/ (tune on these), over several seeds, scored against the kind each one should get.

Healthy controls measure false alarms (anything but `healthy` is an alarm, `inconclusive`
included; Wilson interval). Faults measure detection (any verdict other than healthy or
inconclusive) and exact kind (the expected kind, or one of the accepted kinds where a patient
names two). A run that ends without a report is a crash and counts as a miss. Patients that use
Recipe fields the current dldoctor does not have (issue 13) are listed as "not expressible yet"
and counted apart.

    nice python benchmarks/verdict_accuracy.py [--seeds 0-4] [--jobs 2] [--only PATTERN]
        [--markdown] [--save results.json] [--load saved.json ...]

Last lines: `false alarms: X/Y`, `detection: X/Y`, `exact kind: X/Y`.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import importlib.util
import json
import math
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

from dldoctor.diagnosis.evidence import VERDICTS  # torch-free: torch's threads are set before it loads

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PATIENTS = HERE / "patients"
NOT_PATIENTS = {"clinic", "plain_loop"}
DEV_CASES = HERE / "dev_cases"  # cases the verdict's authors may look at and tune on
SHIPPED: dict[str, str | tuple[str, ...]] = {  # recipes/ → the verdict(s) the README documents for it
    "digits": ("high_variance", "healthy", "inconclusive"),  # borderline variance: the seed decides
    "healthy": "healthy",
    "high_bias": "high_bias",
    "high_variance": "high_variance",
    "data_mismatch": "data_mismatch",
    "optimization_failure": "optimization_failure",
    "friedman": "high_bias",
    "vanishing_gradients": "optimization_failure",
    "lr_too_low": "optimization_failure",
    "dying_relu": "optimization_failure",
    "saddle": "optimization_failure",
}
KIND_ORDER = [*VERDICTS, "crash"]
NOT_EXPRESSIBLE = "not expressible yet"


@dataclass(frozen=True)
class Case:
    name: str  # recipes/x or patients/x
    path: str
    expected: tuple[str, ...]
    needs: str  # "" when the case uses only fields dldoctor has


@dataclass(frozen=True)
class Outcome:
    case: str
    seed: int
    got: str  # a verdict kind, "crash" or NOT_EXPRESSIBLE
    summary: str
    seconds: float


def collect(only: str = "") -> list[Case]:
    """Every case whose name matches `only`; a module is imported only once it is selected, so a
    sweep restricted to recipes or dev cases never runs a held-out patient's code."""
    cases = [
        Case(
            f"recipes/{stem}",
            str(ROOT / "recipes" / f"{stem}.py"),
            kind if isinstance(kind, tuple) else (kind,),
            "",
        )
        for stem, kind in SHIPPED.items()
        if selected(f"recipes/{stem}", only)
    ]
    for folder in (DEV_CASES, PATIENTS):
        for path in sorted(folder.glob("*.py")):
            name = f"{folder.name}/{path.stem}"
            if path.stem in NOT_PATIENTS or path.stem.startswith("_") or not selected(name, only):
                continue
            module = load_case(path)
            expected = module.EXPECTED if isinstance(module.EXPECTED, tuple) else (module.EXPECTED,)
            cases.append(Case(name, str(path), expected, getattr(module, "NEEDS", "")))
    return cases


def selected(name: str, only: str) -> bool:
    """`only` is one or more comma-separated globs or substrings; empty selects everything."""
    return not only or any(fnmatch.fnmatch(name, p) or p in name for p in only.split(","))


def load_case(path: Path) -> ModuleType:
    """Import a case module (a recipe file with EXPECTED, SOURCE and WHY); patients use their own loader."""
    if path.parent == PATIENTS:
        from patients.plain_loop import load

        return load(path)
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"dev_case_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def init_worker() -> None:
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)


def diagnose_one(case: Case, seed: int) -> Outcome:
    """One diagnosis as a user's library call; anything that leaves no report is a crash."""
    import dldoctor as dd

    started = time.perf_counter()
    try:
        recipe = dd.load_recipe(case.path)
    except Exception as exc:
        if case.needs:
            return Outcome(case.name, seed, NOT_EXPRESSIBLE, f"{type(exc).__name__}: {exc}", 0.0)
        return Outcome(case.name, seed, "crash", f"loading: {type(exc).__name__}: {exc}", 0.0)
    try:
        report = dd.diagnose(recipe, dd.DiagnoseOptions(seed=seed))
    except BaseException as exc:
        message = " ".join(str(exc).split())[:200]
        return Outcome(
            case.name, seed, "crash", f"{type(exc).__name__}: {message}", time.perf_counter() - started
        )
    reason = " ".join(str(report.diagnosis.reason).split())
    return Outcome(case.name, seed, report.verdict, reason[:200], time.perf_counter() - started)


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


class Printer:
    """Plain text or Markdown tables, same content."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        if self.markdown:
            print("| " + " | ".join(header) + " |")
            print("|" + "|".join("---" for _ in header) + "|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
        else:
            widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
            for row in [header, *rows]:
                print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        print()

    def heading(self, text: str) -> None:
        print(f"\n{'#### ' if self.markdown else '== '}{text}\n")


def short(kind: str) -> str:
    return {"optimization_failure": "opt_failure", NOT_EXPRESSIBLE: "n/e"}.get(kind, kind)


def report(cases: list[Case], outcomes: list[Outcome], out: Printer) -> None:
    by_case = {c.name: c for c in cases}
    runnable = [o for o in outcomes if o.got != NOT_EXPRESSIBLE]
    expected_label = {c.name: "|".join(c.expected) for c in cases}

    out.heading("Verdicts per case (one column per seed)")
    rows = []
    per_case = defaultdict(list)
    for o in sorted(outcomes, key=lambda o: (o.case, o.seed)):
        per_case[o.case].append(o)
    for name, runs in per_case.items():
        hits = sum(o.got in by_case[name].expected for o in runs if o.got != NOT_EXPRESSIBLE)
        scored = sum(o.got != NOT_EXPRESSIBLE for o in runs)
        seconds = sum(o.seconds for o in runs) / max(1, len(runs))
        verdicts = " ".join(short(o.got) for o in runs)
        rows.append([name, short(expected_label[name]), verdicts, f"{hits}/{scored}", f"{seconds:.0f}"])
    out.table(["case", "expected", "got (by seed)", "right", "s/run"], rows)

    out.heading("Confusion: expected (rows) × got (columns), runs")
    counts = Counter((expected_label[o.case], o.got) for o in runnable)
    got_kinds = [k for k in KIND_ORDER if any(g == k for _, g in counts)]
    row_labels = sorted(
        {expected_label[o.case] for o in runnable}, key=lambda e: (KIND_ORDER.index(e.split("|")[0]), e)
    )
    table = [[short(e)] + [str(counts.get((e, g), 0) or "·") for g in got_kinds] for e in row_labels]
    out.table(["expected \\ got"] + [short(g) for g in got_kinds], table)

    healthy = [o for o in runnable if by_case[o.case].expected == ("healthy",)]
    faults = [o for o in runnable if "healthy" not in by_case[o.case].expected]
    alarms = sum(o.got != "healthy" for o in healthy)
    detected = sum(o.got not in ("healthy", "inconclusive", "crash") for o in faults)
    exact = sum(o.got in by_case[o.case].expected for o in faults)
    low, high = wilson(alarms, len(healthy))

    out.heading("Misses (a healthy control not called healthy, a fault not given its kind)")
    misses = [o for o in runnable if o.got not in by_case[o.case].expected]
    out.table(
        ["case", "seed", "expected", "got", "summary"],
        [[o.case, str(o.seed), short(expected_label[o.case]), short(o.got), o.summary] for o in misses]
        or [["none"] * 5],
    )
    crashes = [o for o in runnable if o.got == "crash"]
    out.heading(f"Runs that ended without a report: {len(crashes)}")
    if crashes:
        out.table(["case", "seed", "error"], [[o.case, str(o.seed), o.summary] for o in crashes])
    pending = sorted({o.case for o in outcomes if o.got == NOT_EXPRESSIBLE})
    out.heading(f"Not expressible yet (issue 13 fields), counted apart: {len(pending)} patients")
    if pending:
        out.table(
            ["case", "needs", "expected"], [[c, by_case[c].needs, short(expected_label[c])] for c in pending]
        )
    n_cases = len({o.case for o in runnable})
    n_healthy, n_faults = len(healthy), len(faults)
    print(
        f"runs: {len(runnable)} on {n_cases} cases ({n_healthy} healthy-control runs, {n_faults} fault runs)"
    )
    print(f"false-alarm rate: {alarms / max(1, n_healthy):.1%} (95 % Wilson interval {low:.1%}–{high:.1%})")
    print(f"detection recall: {detected / max(1, n_faults):.1%}; exact kind: {exact / max(1, n_faults):.1%}")
    print(f"false alarms: {alarms}/{len(healthy)}")
    print(f"detection: {detected}/{len(faults)}")
    print(f"exact kind: {exact}/{len(faults)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (one torch thread each)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated globs or substrings on case names (recipes/x, dev_cases/x, patients/x)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--save", type=Path, help="also write every outcome as JSON here")
    parser.add_argument(
        "--load", type=Path, nargs="+", help="re-print saved runs (one file or several) instead"
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cases = collect(args.only)
    if args.load:
        saved = [Outcome(**o) for path in args.load for o in json.loads(path.read_text())["outcomes"]]
        outcomes = [o for o in saved if selected(o.case, args.only)]
        names = {o.case for o in outcomes}
        cases = [c for c in cases if c.name in names]
    else:
        seeds = parse_seeds(args.seeds)
        print(
            f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · python {platform.python_version()}"
            f" · {os.cpu_count()} CPUs · {args.jobs} jobs × 1 torch thread · seeds {args.seeds}"
            f" · {len(cases)} cases",
            flush=True,
        )
        started = time.perf_counter()
        jobs = [(c, s) for s in seeds for c in cases]  # seed-major: a cut-short sweep still covers every case
        with ProcessPoolExecutor(args.jobs, initializer=init_worker) as pool:
            futures = [pool.submit(diagnose_one, c, s) for c, s in jobs]
            outcomes = []
            for future in futures:
                outcomes.append(future.result())
                o = outcomes[-1]
                print(f"  {o.case} seed {o.seed}: {o.got} ({o.seconds:.0f} s)", file=sys.stderr, flush=True)
                if args.save:  # after every run, so a sweep cut short can still be reported with --load
                    args.save.write_text(json.dumps({"outcomes": [asdict(o) for o in outcomes]}, indent=1))
        print(f"wall time {time.perf_counter() - started:.0f} s")
    report(cases, outcomes, Printer(args.markdown))


if __name__ == "__main__":
    main()
