"""The command line: parse, call the library, render, choose the exit code. Nothing else.

Exit codes: 0 done; 1 a kind named in --fail-on was found; 2 bad input or usage; 3 a bug in
dldoctor; 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from dldoctor._version import __version__
from dldoctor.diagnosis import KINDS, Policy
from dldoctor.errors import DldoctorError, UsageError

T = TypeVar("T")

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
def diagnose_command(
    recipe: Annotated[str, typer.Argument(help="Recipe file, or FILE:NAME for another attribute.")],
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated kinds that make the exit code 1: {', '.join(KINDS)}."),
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N (default: cuda if present).")] = None,
    seed: Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="Override the recipe's epochs.")] = None,
    bayes_error: Annotated[
        float | None, typer.Option(help="Known (e.g. human-level) error; skips the estimate.")
    ] = None,
    target_error: Annotated[
        float | None, typer.Option(help="Dev error you would accept; at or below it is healthy.")
    ] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level of every interval.")] = 0.95,
    min_gap: Annotated[
        float,
        typer.Option(help="Smallest gap that matters: error-rate points, or a share of var(y)."),
    ] = Policy.min_gap,
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
        int | None, typer.Option(help="Also N-fold cross-validate (small data): errors with intervals.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    debug: Annotated[bool, typer.Option(help="Show full tracebacks.")] = False,
) -> None:
    """Train RECIPE, measure train/train-dev/dev/test errors against the Bayes error, diagnose."""
    from dldoctor.doctor import DiagnoseOptions, diagnose
    from dldoctor.learning_curve import plot as plot_learning_curve
    from dldoctor.recipe import load_recipe
    from dldoctor.report import check_writable, write_json
    from dldoctor.report.console import render, training_progress

    def run() -> int:
        failing = _kinds(fail_on)
        if json_path is not None:
            check_writable(json_path)
        if learning_curve:
            check_writable(curve_plot)
        options = DiagnoseOptions(
            seed=seed,
            device=device,
            epochs=epochs,
            bayes_error=bayes_error,
            target_error=target_error,
            confidence=confidence,
            min_gap=min_gap,
            easier_model=easier_model,
            probes=probes,
            hessian=hessian,
            lr_find=lr_find,
            learning_curve=learning_curve,
            folds=folds,
        )
        loaded = load_recipe(recipe)
        out, err = Console(), Console(stderr=True, quiet=quiet)
        with training_progress(err, loaded.name, loaded.task, epochs or loaded.epochs) as on_epoch:
            report = diagnose(loaded, options, on_epoch=on_epoch)
        render(report, out)
        if report.learning_curve is not None:
            plot_learning_curve(report.learning_curve, curve_plot, report.task)
            out.print(f"[dim]Learning curve written to {curve_plot}[/]")
        if json_path is not None:
            write_json(report, json_path)
            out.print(f"[dim]Report written to {json_path}[/]")
        found = sorted({f.kind for f in report.findings} & failing)
        if found:
            out.print(f"[bold red]Failing: found {', '.join(found)} (--fail-on)[/]")
            return 1
        return 0

    raise typer.Exit(_guarded(run, debug))


@app.command("lr-find")
def lr_find_command(
    recipe: Annotated[str, typer.Argument(help="Recipe file, or FILE:NAME for another attribute.")],
    plot: Annotated[Path, typer.Option(help="Write the loss-vs-lr plot (PNG) here.")] = Path("lr_find.png"),
    start: Annotated[float, typer.Option(help="First learning rate of the sweep.")] = 1e-7,
    end: Annotated[float, typer.Option(help="Last learning rate of the sweep.")] = 10.0,
    steps: Annotated[int, typer.Option(help="Training steps over the sweep.")] = 100,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N (default: cuda if present).")] = None,
    seed: Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling.")] = 0,
    debug: Annotated[bool, typer.Option(help="Show full tracebacks.")] = False,
) -> None:
    """Learning-rate range test: train briefly while lr grows exponentially; suggest an lr, plot it."""
    from dldoctor import lrfind
    from dldoctor.doctor import find_lr
    from dldoctor.report import check_writable
    from dldoctor.report.console import render_range_test

    def run() -> int:
        check_writable(plot)
        result = find_lr(recipe, seed, device, start=start, end=end, steps=steps)
        lrfind.plot(result, plot)
        out = Console()
        render_range_test(result, out)
        out.print(f"[dim]Plot written to {plot}[/]")
        return 0

    raise typer.Exit(_guarded(run, debug))


@app.command("bayes")
def bayes_command(
    recipe: Annotated[str, typer.Argument(help="Recipe file, or FILE:NAME for another attribute.")],
    train: Annotated[
        bool, typer.Option(help="Train the model first, to estimate on its embedding and outputs.")
    ] = True,
    epochs: Annotated[int | None, typer.Option(help="Override the recipe's epochs.")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level of every interval.")] = 0.95,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N (default: cuda if present).")] = None,
    seed: Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling.")] = 0,
    debug: Annotated[bool, typer.Option(help="Show full tracebacks.")] = False,
) -> None:
    """Estimate the Bayes error every way that applies; show which estimate diagnose uses and why."""
    from dldoctor.doctor import estimate_bayes
    from dldoctor.recipe import load_recipe
    from dldoctor.report.console import render_bayes

    def run() -> int:
        loaded = load_recipe(recipe)
        est = estimate_bayes(loaded, seed, device, epochs=epochs, confidence=confidence, train=train)
        render_bayes(est, loaded.task, Console())
        return 0

    raise typer.Exit(_guarded(run, debug))


def _kinds(spec: str | None) -> set[str]:
    kinds = {k.strip() for k in (spec or "").split(",") if k.strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise UsageError(f"--fail-on: unknown kind {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    return kinds


def _guarded(run: Callable[[], int], debug: bool) -> int:
    """Run a command; turn failures into one line on stderr and an exit code."""
    try:
        return run()
    except DldoctorError as exc:
        _fail(f"error: {exc}", debug)
        return 2
    except KeyboardInterrupt:
        _fail("interrupted", debug)
        return 130
    except Exception as exc:
        _fail(
            f"internal error in dldoctor ({type(exc).__name__}: {exc}); rerun with --debug and report it",
            debug,
        )
        return 3


def _fail(message: str, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    print(message, file=sys.stderr)


def main() -> None:
    app(prog_name="dldoctor")
