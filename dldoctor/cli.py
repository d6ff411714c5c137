"""The command line: parse, call the library, render, choose the exit code. Nothing else.

Exit codes: 0 done; 1 a kind named in --fail-on was found, or (check) a rule FAILed or ERRORed, or
WARNed under --strict; 2 bad input or usage; 3 a bug in dldoctor; 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import sys
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dldoctor._version import __version__
from dldoctor.cli_options import (
    ConfidenceOpt,
    EpochsOpt,
    Measure,
    OptionalRecipeArg,
    PlotsOpt,
    PolicyFlags,
    QuietOpt,
    RecipeArg,
    Run,
    Search,
    Shell,
    Sources,
    grouped,
)
from dldoctor.diagnosis import KINDS
from dldoctor.errors import DoctorError

if TYPE_CHECKING:
    from dldoctor.report import Report
    from dldoctor.sources import TrainingView
    from dldoctor.tuning.results import StudySetup

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Train a PyTorch recipe, decompose its errors and name what is wrong.",
)


def _version(value: bool) -> None:
    if value:
        print(f"dldoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """dldoctor: a doctor for deep-learning training."""


@app.command("diagnose")
@grouped
def diagnose_command(
    recipe: OptionalRecipeArg = None,
    *,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated kinds that make the exit code 1: {', '.join(KINDS)}."),
    ] = None,
    run: Run,
    measure: Measure,
    easier_model: Annotated[
        bool, typer.Option(help="Fit easier models (linear, shallow) to tell optimisation failure from bias.")
    ] = True,
    probes: Annotated[
        bool, typer.Option(help="Gradient and activation monitoring, and the one-batch sanity checks.")
    ] = True,
    hessian: Annotated[
        bool, typer.Option(help="Curvature at the end of training: local minimum, saddle or flat region.")
    ] = True,
    lr_find: Annotated[
        bool, typer.Option(help="Run the learning-rate range test when optimisation failed.")
    ] = True,
    learning_curve: Annotated[
        bool, typer.Option(help="Retrain on growing subsets of train: would more data help?")
    ] = False,
    curve_plot: Annotated[Path, typer.Option(help="Where --learning-curve writes its plot (PNG).")] = Path(
        "learning_curve.png"
    ),
    folds: Annotated[
        int | None,
        typer.Option(
            help="Also N-fold cross-validate (small data): errors with intervals, train's label noise."
        ),
    ] = None,
    errors: Annotated[
        bool, typer.Option(help="Error analysis: per class, suspected label errors, calibration, slices.")
    ] = True,
    errors_csv: Annotated[
        Path | None, typer.Option(help="Write one CSV row per suspected label error here.")
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(help="Write curves, errors, confusion, reliability and suspects PNGs into this folder."),
    ] = None,
    quiet: QuietOpt = False,
    params: Annotated[
        Path | None, typer.Option(help="Apply parameters exported by `dldoctor tune --export`.")
    ] = None,
    sources: Sources,
    force: Annotated[bool, typer.Option(help="Apply --params exported for another recipe.")] = False,
    shell: Shell,
) -> None:
    """Train RECIPE, measure train/train-dev/dev/test errors against the Bayes error, diagnose.

    With --predictions, diagnose saved labels and outputs instead: no model, no retraining."""
    from dldoctor.errors import UsageError
    from dldoctor.gates.policy import parse_kinds
    from dldoctor.learning_curve import plot as plot_learning_curve
    from dldoctor.outputs import check_file, check_folder
    from dldoctor.report import write_json
    from dldoctor.report.console import render
    from dldoctor.sources import choose_source, diagnose_source

    def main() -> int:
        failing = set(parse_kinds(fail_on or "", "--fail-on"))
        if json_path is not None:
            check_file(json_path, "--json")
        if learning_curve:
            check_file(curve_plot, "--curve-plot")
        if errors_csv is not None:
            if not errors:
                raise UsageError("--errors-csv needs the error analysis: drop --no-errors")
            check_file(errors_csv, "--errors-csv")
        if plots is not None:
            check_folder(plots, "--plots")
        options = measure.options(
            run,
            easier_model=easier_model,
            probes=probes,
            hessian=hessian,
            lr_find=lr_find,
            learning_curve=learning_curve,
            folds=folds,
            errors=errors,
        )
        out, err = Console(), Console(stderr=True, quiet=quiet)
        source = choose_source(recipe=recipe, predictions=sources.predictions)
        report = diagnose_source(
            source,
            options,
            task=sources.task,
            params=params,
            force=force,
            view=_progress(err),
            note=lambda line: err.print(f"[dim]{line}[/]"),
        )
        render(report, out)
        if report.learning_curve is not None:
            plot_learning_curve(report.learning_curve, curve_plot, report.task)
            out.print(f"[dim]Learning curve written to {curve_plot}[/]")
        if json_path is not None:
            write_json(report, json_path)
            out.print(f"[dim]Report written to {json_path}[/]")
        _write_analysis(report, errors_csv, plots, out)
        found = sorted({f.kind for f in report.findings} & failing)
        if found:
            out.print(f"[bold red]Failing: found {', '.join(found)} (--fail-on)[/]")
            return 1
        return 0

    raise typer.Exit(_guarded(main, shell))


@app.command("lr-find")
@grouped
def lr_find_command(
    recipe: RecipeArg,
    *,
    plot: Annotated[Path, typer.Option(help="Write the loss-vs-lr plot (PNG) here.")] = Path("lr_find.png"),
    start: Annotated[float, typer.Option(help="First learning rate of the sweep.")] = 1e-7,
    end: Annotated[float, typer.Option(help="Last learning rate of the sweep.")] = 10.0,
    steps: Annotated[int, typer.Option(help="Training steps over the sweep.")] = 100,
    run: Run,
    shell: Shell,
) -> None:
    """Learning-rate range test: train briefly while lr grows exponentially; suggest an lr, plot it."""
    from dldoctor import lrfind
    from dldoctor.doctor import find_lr
    from dldoctor.outputs import check_file
    from dldoctor.report.console import render_range_test

    def main() -> int:
        check_file(plot, "--plot")
        result = find_lr(recipe, run.seed, run.device, start=start, end=end, steps=steps)
        lrfind.plot(result, plot)
        out = Console()
        render_range_test(result, out)
        out.print(f"[dim]Plot written to {plot}[/]")
        return 0

    raise typer.Exit(_guarded(main, shell))


@app.command("check")
@grouped
def check_command(
    recipe: OptionalRecipeArg = None,
    *,
    policy: Annotated[
        Path | None,
        typer.Option(help="TOML policy file (default: [tool.dldoctor.check] of the nearest pyproject.toml)."),
    ] = None,
    gate: PolicyFlags,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the check report here.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here: one testcase per rule.")] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(help="Write a Markdown summary here (for $GITHUB_STEP_SUMMARY, a PR comment)."),
    ] = None,
    plots: PlotsOpt = None,
    run: Run,
    measure: Measure,
    force: Annotated[bool, typer.Option(help="Compare with a --baseline of another recipe.")] = False,
    quiet: QuietOpt = False,
    shell: Shell,
    sources: Sources,
    report: Annotated[
        Path | None,
        typer.Option(help="Gate a stored report (diagnose, monitor, callback) without retraining."),
    ] = None,
) -> None:
    """Diagnose RECIPE (or --predictions, or take --report), then enforce a policy: exit 0 all rules
    pass, 1 any FAIL or ERROR, 2 bad usage."""
    from dldoctor.gates import load_policy
    from dldoctor.report.console import render, render_gate, render_stored
    from dldoctor.report.markdown import render_markdown
    from dldoctor.sources import check_source, choose_source

    def main() -> int:
        outputs = _outputs(json_path, junit, markdown, plots)
        rules = load_policy(policy, dataclasses.asdict(gate), Path.cwd())
        out, err = Console(), Console(stderr=True, quiet=quiet)
        source = choose_source(recipe=recipe, predictions=sources.predictions, report=report)
        options = measure.options(run)
        result = check_source(source, rules, options, task=sources.task, force=force, view=_progress(err))
        document = result.to_dict()
        if result.report is not None:
            render(result.report, out)
        else:
            render_stored(render_markdown(result.stored or {}), out)
        render_gate(document, out)
        _write_outputs(document, outputs, plots, out)
        return result.gate.exit_code

    raise typer.Exit(_guarded(main, shell))


@app.command("report")
@grouped
def report_command(
    path: Annotated[Path, typer.Argument(help="A report written by `diagnose --json` or `check --json`.")],
    *,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML of a check report here.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary here.")] = None,
    plots: PlotsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Write the files only.")] = False,
    shell: Shell,
) -> None:
    """Re-render a stored report (terminal, Markdown, JUnit, plots) without training anything."""
    from dldoctor.report.console import render_stored
    from dldoctor.report.markdown import render_markdown
    from dldoctor.report.stored import load_report

    def main() -> int:
        outputs = _outputs(None, junit, markdown, plots)
        document = load_report(path)
        out = Console(quiet=quiet)
        render_stored(render_markdown(document), out)
        _write_outputs(document, outputs, plots, out)
        return 0

    raise typer.Exit(_guarded(main, shell))


@app.command("bayes")
@grouped
def bayes_command(
    recipe: RecipeArg,
    *,
    train: Annotated[
        bool, typer.Option(help="Train the model first, to estimate on its embedding and outputs.")
    ] = True,
    epochs: EpochsOpt = None,
    confidence: ConfidenceOpt = 0.95,
    run: Run,
    shell: Shell,
) -> None:
    """Estimate the Bayes error every way that applies; show which estimate diagnose uses and why."""
    from dldoctor.doctor import estimate_bayes
    from dldoctor.recipe import load_recipe
    from dldoctor.report.console import render_bayes

    def main() -> int:
        loaded = load_recipe(recipe)
        est = estimate_bayes(loaded, run.seed, run.device, epochs=epochs, confidence=confidence, train=train)
        render_bayes(est, loaded.task, Console())
        return 0

    raise typer.Exit(_guarded(main, shell))


@app.command("tune")
@grouped
def tune_command(
    recipe: RecipeArg,
    *,
    search: Search,
    run: Run,
    from_diagnosis: Annotated[
        Path | None, typer.Option(help="Shape the space by a `diagnose --json` report.")
    ] = None,
    auto: Annotated[bool, typer.Option(help="Diagnose first, then shape the space by the verdict.")] = False,
    force: Annotated[
        bool,
        typer.Option(help="Tune even when the diagnosis says it will not help, or is of another recipe."),
    ] = False,
    export: Annotated[Path | None, typer.Option(help="Write the best parameters here (JSON).")] = None,
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write every trial as CSV here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live view.")] = False,
    shell: Shell,
) -> None:
    """Search RECIPE's hyperparameters (lr, β, batch size, and what it declares) with Optuna."""
    from dldoctor.outputs import check_file, check_folder
    from dldoctor.recipe import load_recipe
    from dldoctor.report.tune_console import live_trials, render_result, render_setup
    from dldoctor.report.tune_plots import write_plots
    from dldoctor.tuning.guidance import shape_space
    from dldoctor.tuning.params import export_best
    from dldoctor.tuning.results import write_csv
    from dldoctor.tuning.study import Listener, quiet_optuna, tune

    def main() -> int:
        quiet_optuna()
        options = search.options(run)
        for option, path in (("--export", export), ("--csv", csv)):
            if path is not None:
                check_file(path, option)
        if plots is not None:
            check_folder(plots, "--plots")
        out, note = Console(quiet=quiet), Console(stderr=True)
        loaded = load_recipe(recipe)
        shaping = shape_space(loaded, options, from_diagnosis, auto, force)
        if shaping.diagnosis is not None:
            print(f"Diagnosis: {shaping.diagnosis}", file=sys.stderr)
        unit = loaded.task if options.metric == "dev_error" else "loss"
        with ExitStack() as stack:

            def started(setup: StudySetup) -> None:
                render_setup(setup, out)
                listener.finished = stack.enter_context(live_trials(out, setup, unit)).finished

            listener = Listener(started=started, note=lambda message: note.print(message, markup=False))
            target = recipe if options.workers > 1 else loaded
            result = tune(target, options, adjust=shaping.guidance, listener=listener)
        exported = export is not None and export_best(result, export)
        if csv is not None:
            write_csv(result.study, result.setup.space, csv)
        if plots is not None:
            write_plots(result.study, result.setup.space, result.importances, plots)
        render_result(result, out, unit, str(export) if exported else None)
        return 130 if result.interrupted else 0

    raise typer.Exit(_guarded(main, shell))


def _progress(err: Console) -> TrainingView:
    """The live training bar, on stderr."""
    from dldoctor.report.console import training_progress

    return lambda recipe, epochs: training_progress(err, recipe.name, recipe.task, epochs)


def _outputs(
    json_path: Path | None, junit: Path | None, markdown: Path | None, plots: Path | None
) -> dict[str, Path]:
    """The report files asked for, each (and the plots folder) checked writable before any work starts."""
    from dldoctor.outputs import check_file, check_folder

    chosen = {"json": json_path, "junit": junit, "markdown": markdown}
    for kind, target in chosen.items():
        if target is not None:
            check_file(target, f"--{kind}")
    if plots is not None:
        check_folder(plots, "--plots")
    return {kind: target for kind, target in chosen.items() if target is not None}


def _write_outputs(document: dict, outputs: dict[str, Path], plots: Path | None, out: Console) -> None:
    import json

    from dldoctor.outputs import write_text
    from dldoctor.report.junit import render_junit
    from dldoctor.report.markdown import render_markdown

    renderers = {
        "json": lambda: json.dumps(document, indent=2, allow_nan=False) + "\n",
        "junit": lambda: render_junit(document),
        "markdown": lambda: render_markdown(document),
    }
    for kind, target in outputs.items():
        write_text(target, renderers[kind]())
        out.print(f"[dim]{kind} written to {target}[/]")
    if plots is not None:
        from dldoctor.report.plots import write_plots

        for written in write_plots(document, plots):
            out.print(f"[dim]plot written to {written}[/]")


def _write_analysis(report: Report, csv: Path | None, plots: Path | None, out: Console) -> None:
    """--errors-csv and --plots of `diagnose`: the report's pictures, and the live-only suspects grid."""
    analysis = report.error_analysis
    if csv is not None and analysis is not None:
        from dldoctor.report.suspects_csv import write_suspects_csv

        rows = write_suspects_csv(analysis, csv)
        out.print(f"[dim]{rows} suspected label errors written to {csv}[/]")
    if plots is None:
        return
    from dldoctor.report.error_plots import write_suspects_grid
    from dldoctor.report.plots import write_plots

    written = write_plots(report.to_dict(), plots)
    grid = None if analysis is None else write_suspects_grid(analysis, plots)
    for path in [*written, *([grid] if grid else [])]:
        out.print(f"[dim]plot written to {path}[/]")


def _guarded(run: Callable[[], int], shell: Shell) -> int:
    """Run a command with its torch threads settled; turn failures into one line on stderr and an
    exit code. Only a failure in dldoctor's own code is exit 3: the user's code raising or exiting,
    however deep, is exit 2."""
    from dldoctor import threads as torch_threads
    from dldoctor.errors import UserCodeError, raised_by_user_code, user_location

    try:
        torch_threads.configure(shell.threads)
        return run()
    except DoctorError as exc:
        _fail(f"error: {exc}", shell.debug)
        return 2
    except KeyboardInterrupt as exc:
        where = user_location(exc)
        _fail(f"interrupted (in {where})" if where else "interrupted", shell.debug)
        return 130
    except SystemExit as exc:
        _fail(f"error: {UserCodeError('code run by dldoctor', exc)}", shell.debug)
        return 2
    except Exception as exc:
        if (user_error := raised_by_user_code(exc)) is not None:
            _fail(f"error: {user_error}", shell.debug)
            return 2
        _fail(
            f"internal error in dldoctor ({type(exc).__name__}: {exc}); rerun with --debug and report it",
            shell.debug,
        )
        return 3


def _fail(message: str, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    print(message, file=sys.stderr)


def main() -> None:
    app(prog_name="dldoctor")
