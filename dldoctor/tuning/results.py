"""What a study found: the best trial, whether it sits on the edge of the space, which
hyperparameters mattered, and the study's trials as a table."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from dldoctor.outputs import write_text
from dldoctor.search_space import Dimension, SearchSpace
from dldoctor.tuning.options import TuneOptions
from dldoctor.tuning.progress import Counts, Progress, settings, status

EDGE = 0.05  # share of a float range (log-aware) at either end that counts as "on the boundary"


@dataclass(frozen=True)
class StudySetup:
    """What is about to run, shown before the first trial."""

    recipe: str
    study: str
    storage: str
    space: SearchSpace
    trials: int
    finished: int
    options: TuneOptions
    epochs: int
    notes: tuple[str, ...] = ()
    packing: str = ""


@dataclass(frozen=True)
class BestTrial:
    number: int
    value: float
    params: dict[str, Any]  # Optuna's own parameters
    recipe_params: dict[str, Any]  # optimiser settings: lr, beta, batch_size, weight_decay, epochs
    model_params: dict[str, Any]  # keyword arguments of the model factory


@dataclass(frozen=True)
class EdgeWarning:
    """The best value sits at one end of its range: the optimum may lie outside it."""

    dimension: str
    value: Any
    edge: str
    advice: str


@dataclass
class TuneResult:
    setup: StudySetup
    counts: Counts
    best: BestTrial | None
    study: optuna.Study
    edges: list[EdgeWarning] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def seed(self) -> int:
        return self.setup.options.seed


def summarise(study: optuna.Study, setup: StudySetup, interrupted: bool, seconds: float) -> TuneResult:
    trials = study.get_trials(deepcopy=False)
    progress = Progress(setup.space, trials)
    best = _best(trials, setup)
    return TuneResult(
        setup=setup,
        counts=progress.counts,
        best=best,
        edges=edge_warnings(setup.space, best.params) if best else [],
        importances=importances(study),
        interrupted=interrupted,
        seconds=seconds,
        study=study,
    )


def _best(trials: list[optuna.trial.FrozenTrial], setup: StudySetup) -> BestTrial | None:
    complete = [(t.value, t) for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    if not complete:
        return None
    value, trial = min(complete, key=lambda pair: (pair[0], pair[1].number))
    recipe, model = setup.space.decode(trial.params)
    return BestTrial(trial.number, value, dict(trial.params), {**recipe, "epochs": setup.epochs}, model)


def edge_warnings(space: SearchSpace, params: dict[str, Any]) -> list[EdgeWarning]:
    """Dimensions whose best value lies at an end of the searched range."""
    found = []
    for dim in space.dimensions:
        position = dim.position(params[dim.name]) if dim.name in params else None
        if position is None:
            continue
        discrete = dim.kind in ("int", "pow2")
        low = position <= (0 if discrete else EDGE)
        high = position >= (1 if discrete else 1 - EDGE)
        if low or high:
            # Said in the setting's terms: 1 − β at the low end of its range is β at the high end.
            edge = "low" if low != (dim.kind == "complement") else "high"
            value = dim.decode(params[dim.name])
            found.append(EdgeWarning(dim.setting, value, edge, _widen_advice(dim, edge)))
    return found


def _widen_advice(dim: Dimension, edge: str) -> str:
    """Which end of the declared range to move, in the setting's own units."""
    if dim.kind == "complement":
        side = "closer to 1" if edge == "high" else "lower"
        return (
            f"widen the {dim.setting} range {side} (it searched {1 - dim.high:g}..{1 - dim.low:g}):"
            f" search_space={{'{dim.setting}': (low, high)}}"
        )
    if dim.kind == "pow2":
        side = "smaller" if edge == "low" else "larger (up to the training-set size)"
        return f"allow {side} batches: search_space={{'batch_size': (low, high)}} in powers of two"
    factor = "10×" if dim.log else "half its width"
    direction = "down" if edge == "low" else "up"
    return (
        f"extend the {dim.setting} range {direction} by about {factor}: search_space={{'{dim.setting}': ...}}"
    )


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's fANOVA importances over complete trials; empty when too few trials to tell."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 3:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(optuna.importance.get_param_importances(study))
    except (RuntimeError, ValueError):
        return {}


def trials_table(study: optuna.Study, space: SearchSpace):  # -> pandas.DataFrame
    """Every trial with its settings in the recipe's own units, for --csv."""
    frame = study.trials_dataframe()
    by_number = {t.number: settings(t, space) for t in study.get_trials(deepcopy=False)}
    for name in {k for s in by_number.values() for k in s}:
        frame[f"setting_{name}"] = frame["number"].map(lambda n, name=name: by_number[n].get(name))
    frame["status"] = frame["number"].map({t.number: status(t) for t in study.get_trials(deepcopy=False)})
    return frame


def write_csv(study: optuna.Study, space: SearchSpace, path: Path) -> None:
    write_text(path, trials_table(study, space).to_csv(index=False))
