"""PNG plots of a study (matplotlib, Agg backend, no display needed): optimisation history,
parallel coordinates, importances."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
from optuna.trial import TrialState

from dldoctor.errors import UsageError
from dldoctor.search_space import SearchSpace
from dldoctor.tuning.progress import status
from dldoctor.tuning.status import TrialStatus

COLOURS = {
    TrialStatus.COMPLETE: "tab:blue",
    TrialStatus.PRUNED: "tab:orange",
    TrialStatus.DIVERGED: "tab:red",
}


def write_plots(
    study: optuna.Study, space: SearchSpace, importances: dict[str, float], folder: Path
) -> list[Path]:
    """Write history.png, parallel_coordinates.png and (with importances) importances.png."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--plots: cannot create folder {folder}: {exc.strerror}") from None
    trials = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    metric = study.user_attrs.get("dldoctor", {}).get("metric", "objective")
    written = [_history(trials, metric, folder / "history.png")]
    written.append(_parallel(trials, space, metric, folder / "parallel_coordinates.png"))
    if importances:
        written.append(_importances(importances, folder / "importances.png"))
    return written


def _history(trials: list[optuna.trial.FrozenTrial], metric: str, path: Path) -> Path:
    fig, ax = _figure((7, 4))
    for kind, colour in COLOURS.items():
        points = [(t.number, _last(t)) for t in trials if status(t) is kind and _last(t) is not None]
        if points:
            ax.scatter(*zip(*points, strict=True), s=18, c=colour, label=kind.value)
    complete = sorted(
        (t.number, t.value) for t in trials if t.state == TrialState.COMPLETE and t.value is not None
    )
    if complete:
        best, xs, ys = math.inf, [], []
        for number, value in complete:
            best = min(best, value)
            xs.append(number)
            ys.append(best)
        ax.step(xs, ys, where="post", c="black", lw=1.2, label="best so far")
    ax.set(xlabel="trial", ylabel=metric, title="Optimisation history")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, path)


def _parallel(trials, space: SearchSpace, metric: str, path: Path) -> Path:
    """Each complete trial a line across the dimensions, each axis scaled 0..1 (log-aware)."""
    from matplotlib import colormaps

    fig, ax = _figure((8, 4))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    dims = [d for d in space.dimensions if d.kind != "choice"]
    values = [t.value for t in complete]
    if complete and dims:
        low, high = min(values), max(values)
        cmap = colormaps["viridis_r"]
        for trial in sorted(complete, key=lambda t: -t.value):
            ys = [d.position(trial.params[d.name]) if d.name in trial.params else math.nan for d in dims]
            shade = 0.5 if high == low else (trial.value - low) / (high - low)
            ax.plot(range(len(dims)), ys, c=cmap(shade), alpha=0.7, lw=1)
        ax.set_xticks(range(len(dims)), [d.name for d in dims], rotation=15)
    ax.set(
        ylabel="position in range (log-scaled where searched so)",
        title=f"Parallel coordinates (colour: {metric})",
    )
    return _save(fig, path)


def _importances(importances: dict[str, float], path: Path) -> Path:
    fig, ax = _figure((6, 0.5 + 0.4 * len(importances)))
    names = list(importances)[::-1]
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set(xlabel="importance (fANOVA)", title="Hyperparameter importance")
    return _save(fig, path)


def _last(trial: optuna.trial.FrozenTrial) -> float | None:
    if trial.state == TrialState.COMPLETE:
        return trial.value
    if trial.intermediate_values:
        return trial.intermediate_values[max(trial.intermediate_values)]
    return None


def _figure(size: tuple[float, float]):  # -> (Figure, Axes); matplotlib is imported only when plotting
    """A figure on matplotlib's object API: no pyplot global state, no display needed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.subplots()


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
