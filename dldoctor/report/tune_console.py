"""`dldoctor tune` in the terminal: the plan, a live trial table, and the result."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dldoctor import fmt
from dldoctor.tuning.progress import TrialReport
from dldoctor.tuning.results import TuneResult
from dldoctor.tuning.status import TrialStatus
from dldoctor.tuning.study import Listener, StudySetup

RECENT = 12
STATUS_STYLE = {
    TrialStatus.COMPLETE: "green",
    TrialStatus.PRUNED: "yellow",
    TrialStatus.DIVERGED: "red",
    TrialStatus.FAILED: "bold red",
}


def render_setup(setup: StudySetup, console: Console) -> None:
    """The study, where it is stored, and the space, before the first trial."""
    o = setup.options
    resumed = f" · resuming: {setup.finished} finished" if setup.finished else ""
    console.print(
        f"[bold]Tuning {setup.recipe}[/] · study [cyan]{setup.study}[/] in {setup.storage}{resumed}"
    )
    explore = f", first {o.explore} quasi-random" if o.explore else ""
    console.print(
        f"[dim]{setup.trials} trials · {setup.epochs} epochs each · minimising {o.metric} · sampler"
        f" {o.sampler}{explore} · pruner {o.pruner} · {o.workers} worker(s) · seed {o.seed}[/]"
    )
    if setup.packing:
        console.print(f"[dim]{setup.packing}[/]")
    for note in setup.notes:
        console.print(f"[magenta]{note}[/]")
    table = Table(title="Search space", title_justify="left", show_edge=False)
    table.add_column("parameter")
    table.add_column("sets")
    table.add_column("range")
    for dim in setup.space.dimensions:
        table.add_row(dim.name, f"{dim.target}.{dim.setting}", dim.describe())
    console.print(table)


@contextmanager
def live_trials(console: Console, setup: StudySetup, unit: str) -> Iterator[Listener]:
    """A live table of recent trials on a terminal; one line per trial elsewhere (logs, pipes)."""
    recent: deque[TrialReport] = deque(maxlen=RECENT)
    if not console.is_terminal:
        yield Listener(finished=lambda report: console.print(_line(report, unit), highlight=False))
        return
    with Live(_view(recent, setup, unit), console=console, refresh_per_second=4, transient=False) as live:

        def finished(report: TrialReport) -> None:
            recent.append(report)
            live.update(_view(recent, setup, unit))

        yield Listener(finished=finished)


def _view(recent: deque[TrialReport], setup: StudySetup, unit: str) -> Group:
    table = Table(show_edge=False, expand=False)
    for column in ("trial", "status", "dev", "best so far", "settings"):
        table.add_column(column)
    for r in recent:
        table.add_row(
            str(r.number),
            Text(r.status.value, style=STATUS_STYLE.get(r.status, "")),
            _value(r.value, unit),
            _value(r.best, unit),
            _settings(r.settings),
        )
    last = recent[-1] if recent else None
    counts = last.counts if last else None
    summary = (
        f"{counts.finished}/{setup.trials} finished · {counts.complete} complete · {counts.pruned} pruned ·"
        f" {counts.diverged} diverged · {counts.failed} failed · best {_value(last.best, unit)}"
        if last and counts
        else "waiting for the first trial…"
    )
    return Group(table, Text(summary, style="bold"))


def _line(r: TrialReport, unit: str) -> str:
    note = f" ({r.message})" if r.message and r.status is not TrialStatus.COMPLETE else ""
    c = r.counts
    return (
        f"trial {r.number}: {r.status}{note} · dev {_value(r.value, unit)} · best {_value(r.best, unit)}"
        f" · {c.pruned} pruned, {c.diverged} diverged, {c.failed} failed · {_settings(r.settings)}"
    )


def render_result(result: TuneResult, console: Console, unit: str, export: str | None) -> None:
    """Counts, the best trial and its settings, boundary warnings, importances, what to run next."""
    c = result.counts
    stopped = (
        "[bold yellow]Interrupted[/]: finished trials are kept; rerun to resume. "
        if result.interrupted
        else ""
    )
    console.print(
        f"\n{stopped}[bold]{c.finished}[/] of {result.setup.trials} trials finished ({c.complete} complete,"
        f" {c.pruned} pruned, {c.diverged} diverged; {c.failed} failed) in {result.seconds:.1f} s"
    )
    best = result.best
    if best is None:
        console.print("[yellow]No trial completed, so there is no best trial yet.[/]")
        return
    console.print(
        f"[bold green]Best trial {best.number}[/]: {result.setup.options.metric}"
        f" {_value(best.value, unit)} with {_settings({**best.recipe_params, **best.model_params})}"
    )
    for edge in result.edges:
        console.print(
            f"[yellow]Boundary: best {edge.dimension} = {_number(edge.value)} sits at the {edge.edge} end of"
            f" its range; {edge.advice}.[/]"
        )
    if result.importances:
        console.print("Importance: " + ", ".join(f"{k} {v:.2f}" for k, v in result.importances.items()))
    if export:
        console.print(
            f"Parameters written to {export}; check them with"
            f" `dldoctor diagnose RECIPE --params {export} --seed {result.seed}`"
        )


def _value(value: float | None, unit: str) -> str:
    return "–" if value is None else fmt.error(value, unit)


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _settings(settings: dict[str, Any]) -> str:
    return " ".join(f"{k}={_number(v)}" for k, v in settings.items())
