"""Seed repeats: is a difference between two runs bigger than seed noise?

The user's recipe is retrained over K more seeds (initialisation and data order; the splits stay the
same) — as one packed population where each member would train exactly as alone, else one at a
time — and the seed-to-seed spread of train and dev error is reported with small-sample intervals.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch

from dldoctor import fmt
from dldoctor import task as tasks
from dldoctor.data import Data
from dldoctor.diagnosis import Evidence
from dldoctor.probes._base import Probe, RunContext
from dldoctor.recipe import Recipe
from dldoctor.report.model import ProbeSection
from dldoctor.stats import Estimate, sd_interval, t_interval, z_score
from dldoctor.training import build_model
from dldoctor.tuning.packing import Packing, make_runner, seed_packing
from dldoctor.tuning.runner import TrialPlan
from dldoctor.tuning.status import TrialStatus

SPLITS = ("train", "dev")


@dataclass(frozen=True)
class SeedRepeats:
    """The extra seeds' final errors (None: the seed diverged or failed), beside the user's run."""

    seed: int  # the user's run's
    seeds: tuple[int, ...]
    errors: tuple[dict[str, float] | None, ...]
    own: dict[str, float]
    packing: Packing
    seconds: float
    training_seconds: float  # the user's run's training, for scale

    def others(self, split: str) -> list[float]:
        """The completed seeds' finite errors on `split`."""
        found = (e[split] for e in self.errors if e is not None)
        return [v for v in found if math.isfinite(v)]


class SeedRepeat(Probe):
    name = "seed_repeat"

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        return None if ctx.options.seed_repeats else "not asked for (--seed-repeats K)"

    def run(self, ctx: RunContext, evidence: Evidence) -> SeedRepeats:
        started = time.perf_counter()
        seeds = tuple(ctx.seed + i for i in range(1, ctx.options.seed_repeats + 1))
        template = build_model(ctx.recipe, seeds[0], ctx.device)
        packing = seed_packing(ctx.recipe, template, ctx.data, ctx.device, len(seeds))
        errors = repeat(ctx.recipe, ctx.data, ctx.device, seeds, packing)
        return SeedRepeats(
            ctx.seed,
            seeds,
            errors,
            {split: ctx.results[split].error for split in SPLITS},
            packing,
            time.perf_counter() - started,
            sum(epoch.seconds for epoch in ctx.history.epochs),
        )

    def section(self, ctx: RunContext, result: object) -> ProbeSection:
        assert isinstance(result, SeedRepeats)
        return spread_section(result, ctx.recipe.task, ctx.options.confidence)


@dataclass(frozen=True)
class Spread:
    """One split's errors over the runs: mean and sd with their intervals, and the user's run in it."""

    runs: int  # the user's run (when finite) and the seeds that completed
    mean: float
    mean_interval: tuple[float, float]  # Student's t
    sd: float
    sd_interval: tuple[float, float]  # chi-square
    own: float
    z: float  # the user's run, in sds from the mean (NaN when it is not finite)
    lower: int  # other seeds whose error is below the user's
    noise: float  # z·√2·sd: two single runs differing by less are within seed noise


def repeat(
    recipe: Recipe, data: Data, device: torch.device, seeds: tuple[int, ...], packing: Packing
) -> tuple[dict[str, float] | None, ...]:
    """Each seed's final train and dev errors through the tuning runners (packed or one at a time)."""
    runner = make_runner(packing, data, "dev_error", device, SPLITS)
    plans = [TrialPlan(i, recipe, {}, seed) for i, seed in enumerate(seeds)]
    outcomes = runner.run(plans, lambda number, epoch, value: False)
    return tuple(o.errors if o.status == TrialStatus.COMPLETE else None for o in outcomes)


def spread_section(found: SeedRepeats, task: str, confidence: float) -> ProbeSection:
    """The spread as numbers (the JSON contract) and as the lines the renderers show."""
    level = fmt.confidence(confidence)
    done = sum(e is not None for e in found.errors)
    splits = {split: _spread(found.own[split], found.others(split), confidence) for split in SPLITS}
    lines = [
        f"{split} error over {s.runs} runs:"
        f" mean {fmt.error(s.mean, task)} ({level} t-interval {_span(s.mean_interval, task)}),"
        f" sd {_points(s.sd, task)} ({level} interval {_points(s.sd_interval[0], task)}"
        f" to {_points(s.sd_interval[1], task)}); {_yours(s, found.seed, done, task)}"
        for split, s in splits.items()
        if s is not None
    ]
    dev = splits["dev"]
    if dev is not None:
        lines.append(
            f"Two single runs' dev errors differing by less than {_points(dev.noise, task)}"
            f" are within seed noise ({level}: z·√2·sd)."
        )
    if done < len(found.seeds):
        lines.append(f"{len(found.seeds) - done} of {len(found.seeds)} seeds diverged or failed; left out.")
    lines.append(_cost(found))
    values = {
        "seeds": list(found.seeds),
        "completed": done,
        "confidence": confidence,
        "errors": {split: [None if e is None else e[split] for e in found.errors] for split in SPLITS},
        "spread": {split: None if s is None else asdict(s) for split, s in splits.items()},
        "packed": found.packing.size,
        "packing": found.packing.reason,
        "seconds": round(found.seconds, 3),
        "training_seconds": round(found.training_seconds, 3),
    }
    return ProbeSection(f"Seed-to-seed spread ({len(found.seeds)} more seeds)", tuple(lines), values)


def _spread(own: float, others: list[float], confidence: float) -> Spread | None:
    """Mean and sd of the user's run and the seeds' (finite ones) with their intervals, and where the
    user's run sits; None under 2 runs."""
    runs = [own, *others] if math.isfinite(own) else others
    if len(runs) < 2:
        return None
    mean, sd = t_interval(runs, confidence), sd_interval(runs, confidence)
    return Spread(
        len(runs),
        mean.value,
        mean.interval,
        sd.value,
        sd.interval,
        own,
        (own - mean.value) / sd.value if sd.value > 0 else 0.0,
        sum(v < own for v in others),
        z_score(confidence) * math.sqrt(2) * sd.value,
    )


def _yours(spread: Spread, seed: int, seeds: int, task: str) -> str:
    """Where the user's run sits among the seeds."""
    if not math.isfinite(spread.own):
        return f"yours (seed {seed}) is not finite and left out"
    return (
        f"yours {fmt.error(spread.own, task)} (seed {seed}, z {spread.z:+.1f}),"
        f" {spread.lower} of {seeds} other seeds lower"
    )


def _cost(found: SeedRepeats) -> str:
    how = (
        f"packed, up to {found.packing.size} seeds per population ({found.packing.reason})"
        if found.packing.size > 1
        else f"one at a time: {found.packing.reason}"
    )
    ratio = found.seconds / found.training_seconds if found.training_seconds > 0 else math.nan
    return (
        f"Cost: {found.seconds:.1f} s for {len(found.seeds)} seeds, {ratio:.1f}× the main training"
        f" ({found.training_seconds:.1f} s); {how}."
    )


def _span(pair: tuple[float, float], task: str) -> str:
    return fmt.interval(Estimate(0.0, *pair), task)


def _points(value: float, task: str) -> str:
    """A spread: percentage points to two decimals for rates (seed noise is often under one point)."""
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.2f} pts" if tasks.get(task).rate else f"{value:.3g}"
