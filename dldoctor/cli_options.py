"""The command line's options, each written once: argument types several commands share, and option
groups — dataclasses that a command takes as one parameter and `grouped` spreads into flags, then
builds by name from what was parsed. The check policy's flags come from CheckPolicy's own fields.

Importing this module does not import torch: `dldoctor --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_origin, get_type_hints

import typer

from dldoctor.diagnosis import Policy
from dldoctor.gates.policy import CheckPolicy

if typing.TYPE_CHECKING:
    from dldoctor.doctor import DiagnoseOptions
    from dldoctor.tuning.options import TuneOptions

T = TypeVar("T")

RecipeArg = Annotated[str, typer.Argument(help="Recipe file, or FILE:NAME for another attribute.")]
OptionalRecipeArg = Annotated[
    str | None,
    typer.Argument(help="Recipe file, or FILE:NAME; leave out with --predictions (or check --report)."),
]
EpochsOpt = Annotated[int | None, typer.Option(help="Override the recipe's epochs.")]
ConfidenceOpt = Annotated[float, typer.Option(help="Confidence level of every interval.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
PlotsOpt = Annotated[Path | None, typer.Option(help="Write curves.png and errors.png into this folder.")]


@dataclasses.dataclass(frozen=True)
class Shell:
    """How any command runs: its torch threads, and whether a failure shows its traceback."""

    debug: Annotated[bool, typer.Option(help="Show full tracebacks.")] = False
    threads: Annotated[
        int | None,
        typer.Option(
            help="Torch CPU threads (default: 1 for models under 1M parameters, else the usable cores)."
        ),
    ] = None


@dataclasses.dataclass(frozen=True)
class Run:
    """Where and how reproducibly a command trains."""

    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N (default: cuda if present).")] = None
    seed: Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling.")] = 0


@dataclasses.dataclass(frozen=True)
class Measure:
    """How `diagnose` and `check` measure and judge a run (DiagnoseOptions' shared part)."""

    epochs: EpochsOpt = None
    bayes_error: Annotated[
        float | None, typer.Option(help="Known (e.g. human-level) error; skips the estimate.")
    ] = None
    target_error: Annotated[
        float | None, typer.Option(help="Dev error you would accept; at or below it is healthy.")
    ] = None
    confidence: ConfidenceOpt = 0.95
    min_gap: Annotated[
        float, typer.Option(help="Smallest gap that matters: error-rate points, or a share of var(y).")
    ] = Policy.min_gap
    seed_repeats: Annotated[
        int,
        typer.Option(
            help="Retrain over K more seeds (packed where the model allows): is a difference seed noise?"
        ),
    ] = 0

    def options(self, run: Run, **probes: Any) -> DiagnoseOptions:
        """DiagnoseOptions of these settings, `run`'s seed and device, and the probe switches given."""
        from dldoctor.doctor import DiagnoseOptions

        return DiagnoseOptions(seed=run.seed, device=run.device, **dataclasses.asdict(self), **probes)


@dataclasses.dataclass(frozen=True)
class Sources:
    """Instead of a recipe: saved predictions, and their task when the file has none."""

    predictions: Annotated[
        Path | None,
        typer.Option(help="Diagnose saved predictions (.npz, .parquet, .csv) instead of training a recipe."),
    ] = None
    task: Annotated[
        str | None,
        typer.Option(help="classification or regression, when the predictions file has no task."),
    ] = None


@dataclasses.dataclass(frozen=True)
class Search:
    """How `tune` searches: TuneOptions less the seed and device (the Run group gives those)."""

    trials: Annotated[int, typer.Option(help="Finished trials the study should hold (a rerun resumes).")] = 20
    metric: Annotated[str, typer.Option(help="Minimised: dev_error or dev_loss.")] = "dev_error"
    sampler: Annotated[str, typer.Option(help="tpe (multivariate), qmc, random or gp.")] = "tpe"
    explore: Annotated[
        int, typer.Option(help="Two phases: the first N trials quasi-random (Sobol), then the sampler.")
    ] = 0
    pruner: Annotated[str, typer.Option(help="median, asha, hyperband or none.")] = "median"
    storage: Annotated[
        str | None, typer.Option(help="Database URL (default: dldoctor-tune.db here; postgresql://...).")
    ] = None
    study: Annotated[str | None, typer.Option(help="Study name (default: the recipe's name).")] = None
    workers: Annotated[int, typer.Option(help="Worker processes on this host.")] = 1
    epochs: Annotated[int | None, typer.Option(help="Epochs per trial (default: the recipe's).")] = None
    heartbeat: Annotated[int, typer.Option(help="Seconds between a running trial's heartbeats.")] = 10
    grace: Annotated[
        int, typer.Option(help="Seconds without a heartbeat before a trial is failed and retried.")
    ] = 60
    retries: Annotated[int, typer.Option(help="How often a trial lost with its worker is retried.")] = 2
    pack: Annotated[
        str, typer.Option(help="Trials trained at once as one population: auto, or a number (1: off).")
    ] = "auto"

    def options(self, run: Run) -> TuneOptions:
        from dldoctor.tuning.options import TuneOptions

        return TuneOptions(seed=run.seed, device=run.device, **dataclasses.asdict(self)).validate()


def _policy_flag(field: dataclasses.Field[Any], hint: Any) -> tuple[str, Any, None]:
    """A CheckPolicy key as a flag: None when not given; kinds as one comma-separated string; a
    boolean key only switches on (--strict)."""
    help_text = field.metadata["help"]
    if hint is bool:
        return field.name, Annotated[bool | None, typer.Option(f"--{field.name}", help=help_text)], None
    flag_type = str if get_origin(hint) is tuple else hint
    return field.name, Annotated[flag_type | None, typer.Option(help=help_text)], None


if typing.TYPE_CHECKING:
    PolicyFlags = Any
else:  # a dataclass made from CheckPolicy's keys; asdict() is what load_policy lays over the file
    _POLICY_HINTS = get_type_hints(CheckPolicy)
    PolicyFlags = dataclasses.make_dataclass(
        "PolicyFlags",
        [_policy_flag(f, _POLICY_HINTS[f.name]) for f in dataclasses.fields(CheckPolicy) if f.metadata],
        frozen=True,
    )


def grouped(command: Callable[..., T]) -> Callable[..., T]:
    """Give typer `command` with each dataclass-typed parameter spread into that group's flags; the
    command receives the group built by name from them."""
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, Any] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command).parameters.values():
        hint = hints[parameter.name]
        if dataclasses.is_dataclass(hint):
            groups[parameter.name] = hint
            parameters += _flags(hint)
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hint))
    names = [p.name for p in parameters]
    assert len(names) == len(set(names)), f"option groups of {command.__name__} share a flag name"

    @functools.wraps(command)
    def run(**given: Any) -> T:
        built = {
            name: group(**{f.name: given.pop(f.name) for f in dataclasses.fields(group)})
            for name, group in groups.items()
        }
        return command(**given, **built)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def _flags(group: Any) -> list[inspect.Parameter]:
    hints = get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(group)
    ]
