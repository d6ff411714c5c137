"""The terminal report and the training progress bar — the one place that imports rich."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from dldoctor import fmt
from dldoctor.diagnosis import Finding, ProbeOutcome, RangeTest
from dldoctor.diagnosis.evidence import Bracket, EpochRecord
from dldoctor.diagnosis.gaps import GAP_SPECS
from dldoctor.gates.regression import Comparison
from dldoctor.gates.results import Status
from dldoctor.report.error_summary import error_analysis_markdown
from dldoctor.report.markdown import bayes_interval
from dldoctor.report.model import ReportData, best_dev_epoch
from dldoctor.stats import Estimate

if TYPE_CHECKING:  # torch-backed types: re-rendering a stored report must not import torch
    from dldoctor.bayes import BayesEstimate
    from dldoctor.training import EpochCallback

BAR_WIDTH = 12
VERDICT_STYLE = {"healthy": "bold green", "inconclusive": "bold yellow"}
PROBE_STYLE = {"ok": "green", "warn": "bold red", "info": "dim"}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
JUDGEMENT_STYLE = {"problem": "bold red", "could be noise": "yellow"}  # else dim
BAR_STYLE = {"problem": "red", "could be noise": "yellow"}  # else dim


@contextmanager
def training_progress(console: Console, recipe: str, task: str, epochs: int) -> Iterator[EpochCallback]:
    """A live bar showing epoch, training loss and dev error; yields the callback to feed it.

    Off when the console is not a terminal, so logs and pipes get no control characters.
    """
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("dev error {task.fields[dev]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        bar = progress.add_task(f"training {recipe}", total=epochs, loss="–", dev="–")

        def on_epoch(record: EpochRecord, total: int) -> None:
            progress.update(
                bar,
                total=total,
                completed=record.epoch,
                loss=f"{record.train_loss:.4g}",
                dev=fmt.error(record.dev_error, task),
            )

        yield on_epoch


def render(report: ReportData, console: Console) -> None:
    """Print the whole report: what ran, the errors, the decomposition, the verdict and advice.
    A fresh run and a stored report print the same."""
    console.print(_header(report))
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {warning}.", highlight=False)
    console.print(_errors_table(report))
    console.print(_gaps_table(report))
    top, *rest = report.findings or (None,)
    console.print(_verdict(report, top))
    for finding in rest:
        assert finding is not None
        console.print(_finding_panel(finding, f"[{SEVERITY_STYLE[finding.severity]}]also: {finding.kind}"))
    if report.probes:
        console.print(_probes_table(report.probes))
    if report.error_analysis is not None:
        console.print(Markdown(error_analysis_markdown(report)))
    for section in report.sections.values():
        console.print(Text(section.title, style="bold"))
        console.print("\n".join(section.lines), highlight=False)
    console.print(_footnotes(report))


def _probes_table(outcomes: tuple[ProbeOutcome, ...]) -> Table:
    """One line per optimisation probe: what it measured, and whether it points at a problem."""
    table = Table(
        title="Optimisation probes", title_justify="left", title_style="bold", box=None, pad_edge=False
    )
    table.add_column("probe")
    table.add_column("")
    table.add_column("reading")
    for o in outcomes:
        table.add_row(o.probe, Text(o.status, style=PROBE_STYLE[o.status]), o.summary)
    return table


def render_range_test(rt: RangeTest, console: Console) -> None:
    """The range test's reading and the next command to run."""
    console.print(
        f"[bold]Learning-rate range test[/] ({rt.optimizer}, {len(rt.lrs)} steps): {_range_reading(rt)}."
    )
    if rt.suggested_lr is not None:
        console.print(
            f"Next: set lr={rt.suggested_lr:.2g} in the recipe, or tune around it with `dldoctor tune`."
        )


def render_bayes(est: BayesEstimate, task: str, console: Console) -> None:
    """Every estimator with its interval; the one diagnose uses is marked, with the rule that chose it."""
    table = Table(title="Bayes-error estimators", title_justify="left")
    for column in ("", "estimator", "kind", "on", "n", "d", "estimate", "95% interval", "seconds"):
        table.add_column(
            column,
            justify="right" if column in ("n", "d", "estimate", "seconds") else "left",
            overflow="fold",
            no_wrap=column == "estimator",
        )
    for c in est.candidates:
        chosen = c.name == est.chosen
        table.add_row(
            "→" if chosen else "",
            c.name,
            c.kind,
            c.representation + ("" if c.reliable else " (d too high)"),
            str(c.n),
            str(c.dimension),
            fmt.error(c.value, task),
            fmt.interval(Estimate(c.value, c.low, c.high), task),
            f"{c.seconds:.2f}",
            style="bold" if chosen else None,
        )
    console.print(table)
    if est.estimate is None:
        console.print(f"[yellow]No estimate:[/] {est.method}")
        return
    if est.source == "given":
        console.print(
            f"diagnose uses the given [bold]{fmt.error(est.estimate.value, task)}[/]"
            " (bayes_error in the recipe), not these estimates."
        )
    else:
        console.print(
            f"diagnose uses [bold]{fmt.error(est.estimate.value, task)}[/]"
            f" ({fmt.interval(est.estimate, task)}): {est.method}."
        )
        if est.bracket is not None:
            console.print(_bracket_note(est.bracket, task))
    console.print(f"[dim]Rule: {est.details.get('rule', '')}.[/]")
    for name, why in est.skipped.items():
        console.print(f"[dim]Not used: {name} — {why}.[/]")
    if est.warning:
        console.print(f"[yellow]Caution:[/] {est.warning}.")


def _bracket_note(b: Bracket, task: str) -> str:
    upper = (
        f"upper {fmt.error(b.upper, task)} ({b.upper_source})"
        if b.upper is not None
        else "no upper end (no model's held-out error was measured)"
    )
    return f"Bayes bracket: lower {fmt.error(b.lower, task)} ({b.lower_source}); {upper}."


def _range_reading(rt: RangeTest) -> str:
    spots = f"steepest descent at lr {rt.steepest_lr:.2g}, lowest loss at {rt.min_loss_lr:.2g}"
    if rt.suggested_lr is None:
        return f"the loss never fell materially at any rate ({spots}); no suggestion"
    return f"suggests lr ≈ {rt.suggested_lr:.2g} ({spots})"


def _header(r: ReportData) -> Panel:
    s = r.setup
    sizes = " · ".join(
        f"{n:,} {fmt.split(name)}"
        + (" (carved from train)" if name == "train_dev" and r.train_dev_carved else "")
        for name, n in r.sizes.items()
        if n is not None
    )
    line2 = (
        f"{s.optimizer} lr={fmt.setting(s.lr)} β={fmt.setting(s.beta)} batch {s.batch_size}"
        f" · {len(r.history)}/{s.epochs} epochs · weight decay {fmt.setting(s.weight_decay)}"
        f" · {r.device} · seed {r.settings.seed} · {r.seconds:.1f} s"
        if r.source != "predictions"
        else f"from saved predictions: no model, no retraining · seed {r.settings.seed} · {r.seconds:.1f} s"
    )
    body = Text.assemble((f"{r.task} · {sizes}\n", ""), (line2, "dim"))
    if r.description:
        body.append(f"\n{r.description}", style="italic")
    return Panel(body, title=f"[bold]dldoctor · {r.recipe}", title_align="left")


def _errors_table(r: ReportData) -> Table:
    level = fmt.confidence(r.policy.confidence)
    table = Table(title="Errors", title_justify="left", title_style="bold", box=None, pad_edge=False)
    for col, justify in (
        ("split", "left"),
        ("n", "right"),
        ("error", "right"),
        (f"{level} interval", "left"),
        *((metric.replace("_", " "), "right") for metric in r.other_errors),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    table.add_row(
        "Bayes",
        f"{r.bayes_size:,}" if r.bayes_size else "",
        fmt.error(r.errors.get("bayes"), r.task),
        bayes_interval(r),
    )
    for name, n in r.sizes.items():
        if n is not None:
            others = (fmt.error(by.get(name), r.task) if name in by else "" for by in r.other_errors.values())
            table.add_row(
                fmt.split(name),
                f"{n:,}",
                fmt.error(r.errors.get(name), r.task),
                fmt.interval(r.error(name), r.task),
                *others,
            )
    return table


def _gaps_table(r: ReportData) -> Table:
    values = [r.gaps.get(name) for name in r.gap_flags]
    widest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0)
    table = Table(
        title=f"Where the error comes from (intervals hold jointly at {fmt.confidence(r.policy.confidence)})",
        title_justify="left",
        title_style="bold",
        box=None,
        pad_edge=False,
    )
    for col, justify in (
        ("gap", "left"),
        ("size", "right"),
        ("interval", "left"),
        ("", "left"),
        ("verdict", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for spec in GAP_SPECS:
        label = Text.assemble(
            spec.name.replace("_", " "),
            (f"\n{fmt.split(spec.upper)} − {fmt.split(spec.lower)}", "dim"),
        )
        if spec.name not in r.gap_flags:
            missing = "no test set" if spec.upper == "test" else "no Bayes estimate"
            table.add_row(label, "n/a", "", "", Text(missing, style="dim"))
            continue
        judged = r.flags(spec.name).judgement
        table.add_row(
            label,
            fmt.gap(r.gaps.get(spec.name), r.task),
            fmt.interval(r.gap(spec.name), r.task, signed=True),
            _bar(r.gaps.get(spec.name), widest, judged),
            Text(judged, style=JUDGEMENT_STYLE.get(judged, "dim")),
        )
    return table


def _bar(value: float | None, widest: float, judged: str) -> Text:
    if value is None or not (math.isfinite(value) and value > 0 and widest > 0):
        return Text("·", style="dim")
    return Text("█" * max(1, round(BAR_WIDTH * value / widest)), style=BAR_STYLE.get(judged, "dim"))


def _verdict(r: ReportData, top: Finding | None) -> Panel:
    style = VERDICT_STYLE.get(r.verdict, "bold red")
    title = f"[{style}]Verdict: {r.verdict.replace('_', ' ').upper()}"
    if top is None:
        return Panel(Text(r.reason), title=title, title_align="left", border_style=style)
    return _finding_panel(top, f"{title}[/] · severity {top.severity}", style)


def _finding_panel(f: Finding, title: str, style: str | None = None) -> Panel:
    parts: list = [Text(f.summary)]
    rule = f.evidence.get("rule")
    if rule:
        parts.append(Text(f"Rule: {rule}.", style="dim"))
    if f.advice:
        parts.append(Text("What to do, most dependable first:", style="bold"))
        steps = Table.grid(padding=(0, 1))
        steps.add_column(justify="right")
        steps.add_column()
        for i, tip in enumerate(f.advice, 1):
            steps.add_row(f"{i}.", tip)
        parts.append(steps)
    border = style or SEVERITY_STYLE.get(f.severity, "none")
    return Panel(Group(*parts), title=title, title_align="left", border_style=border)


def _footnotes(r: ReportData) -> Text:
    notes = []
    if r.history:
        last = r.history[-1]
        best = best_dev_epoch(r.history) or r.history[0]
        notes.append(
            f"Training: loss {r.initial_loss:.4g} at initialisation → {last.train_loss:.4g} in epoch"
            f" {last.epoch}; dev error best {fmt.error(best.dev_error, r.task)} at epoch {best.epoch},"
            f" final {fmt.error(last.dev_error, r.task)}."
        )
    for e in r.easier_models:
        notes.append(
            f"Easier model ({e.kind}): {e.name} reached training loss {e.baseline_loss:.4g}"
            f" (error {fmt.error(e.baseline_error, r.task)}) vs your model's {e.model_loss:.4g}"
            f" (error {fmt.error(e.model_error, r.task)}) on {e.n:,} training examples."
        )
    if r.lr_range_test is not None:
        notes.append(f"Learning-rate range test: {_range_reading(r.lr_range_test)}.")
    notes += [f"Not run — {names}: {why}." for why, names in _by_reason(r.skipped).items()]
    notes += [
        f"Probe failed — {name.replace('_', ' ')}: {why.rstrip('.')}. The diagnosis completed without it."
        for name, why in r.probe_failures.items()
    ]
    notes += _statistics(r)
    notes.append(f"Bayes error: {r.bayes_source}, {r.bayes_method}.")
    if r.bayes_source == "estimated" and r.bayes_bracket is not None:
        notes.append(_bracket_note(r.bayes_bracket, r.task))
    if r.bayes_warning:
        notes.append(f"Caution: {r.bayes_warning}.")
    notes.append(
        "A gap is a problem when its interval excludes zero and it is at least"
        f" {fmt.gap(r.materiality, r.task).lstrip('+')} (--min-gap)."
    )
    return Text("\n".join(notes), style="dim")


STATUS_STYLE = {
    Status.PASS: "bold green",
    Status.WARN: "bold yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
}
CHANGE_STYLE = {"worse": "bold red", "better": "green"}


def render_gate(report: ReportData, console: Console) -> None:
    """The report's `check` section: one line per rule, the delta table, the outcome."""
    check, task = report.check, report.task
    assert check is not None
    if check.comparison is not None:
        console.print(_delta_table(check.comparison, task))
    table = Table(title="Quality gate", title_justify="left", title_style="bold", box=None, pad_edge=False)
    table.add_column("")
    table.add_column("rule")
    table.add_column("detail")
    for rule in check.results:
        table.add_row(Text(rule.status.value, style=STATUS_STYLE[rule.status]), rule.rule, rule.message)
    if check.results:
        console.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in check.counts().items() if n) or "no rules configured"
    source = f" · policy from {check.policy.source}" if check.policy.source else ""
    status = check.status
    console.print(
        f"[{STATUS_STYLE[status]}]Check {status.value}[/] ({counts}){source} · exit {check.exit_code}"
    )


def _delta_table(comparison: Comparison, task: str) -> Table:
    table = Table(
        title=f"Against the baseline ({comparison.baseline_recipe}; {comparison.method},"
        f" {fmt.confidence(comparison.confidence)})",
        title_justify="left",
        title_style="bold",
        box=None,
        pad_edge=False,
    )
    for col, justify in (("split", "left"), ("baseline", "right"), ("now", "right"), ("change", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    table.add_column("interval")
    table.add_column("")
    for d in comparison.deltas:
        diff = d.difference
        table.add_row(
            fmt.split(d.split),
            fmt.error(d.baseline, task),
            fmt.error(d.current, task),
            fmt.gap(None if diff is None else diff.value, task),
            fmt.interval(diff, task, signed=True),
            Text(d.change, style=CHANGE_STYLE.get(d.change, "dim")),
        )
    return table


def _by_reason(skipped: dict[str, str]) -> dict[str, str]:
    """Probes that did not run for the same reason, named on one line (saved predictions skip nine)."""
    grouped: dict[str, list[str]] = {}
    for name, why in skipped.items():
        grouped.setdefault(why, []).append(name.replace("_", " "))
    return {why: ", ".join(names) for why, names in grouped.items()}


def _statistics(r: ReportData) -> list[str]:
    """The mismatch test, the learning curve and cross-validation, one line each when they ran."""
    notes = []
    if (m := r.mismatch_test) is not None:
        notes.append(
            f"Train-dev vs dev two-sample test (MMD on the model's {m.representation}):"
            f" p = {m.p_value:.3g}, MMD = {m.mmd:.3g} ({m.n_train_dev} vs {m.n_dev} examples)."
        )
    if (lc := r.learning_curve) is not None:
        points = ", ".join(
            f"{n:,}: {fmt.error(e, r.task)}" for n, e in zip(lc.sizes, lc.dev_errors, strict=True)
        )
        reading = (
            "no fit"
            if lc.helps is None
            else ", ".join(f"{m}× → {fmt.error(v, r.task)}" for m, v in lc.predicted.items())
            + ("; more data helps" if lc.helps else "; flat: more data will not help much")
        )
        notes.append(f"Learning curve (dev error by training size {points}): {reading}.")
    if (cv := r.cross_validation) is not None:
        parts = ", ".join(
            f"{fmt.split(k)} {fmt.error(value, r.task)} ({fmt.interval(cv.estimate(k), r.task)})"
            for k, value in cv.errors.items()
        )
        notes.append(f"{cv.folds}-fold cross-validation: {parts}.")
    return notes
