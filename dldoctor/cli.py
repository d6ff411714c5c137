"""The command line: parse, call the library, render, choose the exit code. Nothing else.

Exit codes: 0 done; 1 a kind named in --fail-on was found, or (check) a rule FAILed or ERRORed, or
WARNed under --strict; 2 bad input or usage; 3 a bug in dldoctor; 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from dldoctor._version import __version__
from dldoctor.diagnosis import KINDS, Policy
from dldoctor.errors import DoctorError, UsageError

if TYPE_CHECKING:
    from dldoctor.doctor import DiagnoseOptions
    from dldoctor.recipe import Recipe
    from dldoctor.report import Report
    from dldoctor.tuning.guidance import Guidance
    from dldoctor.tuning.results import TuneResult
    from dldoctor.tuning.study import TuneOptions

T = TypeVar("T")

# Arguments and options several commands share, written once.
RecipeArg = Annotated[str, typer.Argument(help="Recipe file, or FILE:NAME for another attribute.")]
DeviceOpt = Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N (default: cuda if present).")]
SeedOpt = Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling.")]
EpochsOpt = Annotated[int | None, typer.Option(help="Override the recipe's epochs.")]
BayesErrorOpt = Annotated[
    float | None, typer.Option(help="Known (e.g. human-level) error; skips the estimate.")
]
TargetErrorOpt = Annotated[
    float | None, typer.Option(help="Dev error you would accept; at or below it is healthy.")
]
ConfidenceOpt = Annotated[float, typer.Option(help="Confidence level of every interval.")]
MinGapOpt = Annotated[
    float, typer.Option(help="Smallest gap that matters: error-rate points, or a share of var(y).")
]
DebugOpt = Annotated[bool, typer.Option(help="Show full tracebacks.")]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        help="Torch CPU threads (default: 1 for models under 1M parameters, else the usable cores)."
    ),
]
OptionalRecipeArg = Annotated[
    str | None,
    typer.Argument(help="Recipe file, or FILE:NAME; leave out with --predictions (or check --report)."),
]
PredictionsOpt = Annotated[
    Path | None,
    typer.Option(help="Diagnose saved predictions (.npz, .parquet, .csv) instead of training a recipe."),
]
TaskOpt = Annotated[
    str | None, typer.Option(help="classification or regression, when the predictions file has no task.")
]

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
    recipe: OptionalRecipeArg = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated kinds that make the exit code 1: {', '.join(KINDS)}."),
    ] = None,
    device: DeviceOpt = None,
    seed: SeedOpt = 0,
    epochs: EpochsOpt = None,
    bayes_error: BayesErrorOpt = None,
    target_error: TargetErrorOpt = None,
    confidence: ConfidenceOpt = 0.95,
    min_gap: MinGapOpt = Policy.min_gap,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    debug: DebugOpt = False,
    params: Annotated[
        Path | None, typer.Option(help="Apply parameters exported by `dldoctor tune --export`.")
    ] = None,
    predictions: PredictionsOpt = None,
    task: TaskOpt = None,
    force: Annotated[bool, typer.Option(help="Apply --params exported for another recipe.")] = False,
    threads: ThreadsOpt = None,
) -> None:
    """Train RECIPE, measure train/train-dev/dev/test errors against the Bayes error, diagnose.

    With --predictions, diagnose saved labels and outputs instead: no model, no retraining."""
    from dldoctor.doctor import DiagnoseOptions, diagnose
    from dldoctor.learning_curve import plot as plot_learning_curve
    from dldoctor.outputs import check_file, check_folder
    from dldoctor.recipe import load_recipe
    from dldoctor.report import write_json
    from dldoctor.report.console import render, training_progress

    def run() -> int:
        failing = _kinds(fail_on)
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
            errors=errors,
        )
        out, err = Console(), Console(stderr=True, quiet=quiet)
        if _source(recipe=recipe, predictions=predictions) == "predictions":
            report = _from_predictions(predictions, task, options)
        else:
            loaded = load_recipe(recipe)
            if params is not None:
                loaded = _with_params(loaded, params, seed, err, force)
            with training_progress(err, loaded.name, loaded.task, epochs or loaded.epochs) as on_epoch:
                report = diagnose(loaded, options, on_epoch=on_epoch)
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

    raise typer.Exit(_guarded(run, debug, threads))


@app.command("lr-find")
def lr_find_command(
    recipe: RecipeArg,
    plot: Annotated[Path, typer.Option(help="Write the loss-vs-lr plot (PNG) here.")] = Path("lr_find.png"),
    start: Annotated[float, typer.Option(help="First learning rate of the sweep.")] = 1e-7,
    end: Annotated[float, typer.Option(help="Last learning rate of the sweep.")] = 10.0,
    steps: Annotated[int, typer.Option(help="Training steps over the sweep.")] = 100,
    device: DeviceOpt = None,
    seed: SeedOpt = 0,
    debug: DebugOpt = False,
    threads: ThreadsOpt = None,
) -> None:
    """Learning-rate range test: train briefly while lr grows exponentially; suggest an lr, plot it."""
    from dldoctor import lrfind
    from dldoctor.doctor import find_lr
    from dldoctor.outputs import check_file
    from dldoctor.report.console import render_range_test

    def run() -> int:
        check_file(plot, "--plot")
        result = find_lr(recipe, seed, device, start=start, end=end, steps=steps)
        lrfind.plot(result, plot)
        out = Console()
        render_range_test(result, out)
        out.print(f"[dim]Plot written to {plot}[/]")
        return 0

    raise typer.Exit(_guarded(run, debug, threads))


@app.command("check")
def check_command(
    recipe: OptionalRecipeArg = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="TOML policy file (default: [tool.dldoctor.check] of the nearest pyproject.toml)."),
    ] = None,
    max_dev_error: Annotated[
        float | None, typer.Option(help="FAIL above this dev error; WARN when only its interval is.")
    ] = None,
    max_test_error: Annotated[float | None, typer.Option(help="FAIL above this test error.")] = None,
    max_avoidable_bias: Annotated[
        float | None, typer.Option(help="FAIL above this avoidable-bias gap.")
    ] = None,
    max_variance: Annotated[float | None, typer.Option(help="FAIL above this variance gap.")] = None,
    max_mismatch: Annotated[float | None, typer.Option(help="FAIL above this data-mismatch gap.")] = None,
    max_dev_overfit: Annotated[float | None, typer.Option(help="FAIL above this dev-overfit gap.")] = None,
    max_label_noise: Annotated[
        float | None, typer.Option(help="FAIL above this estimated share of wrong labels in dev.")
    ] = None,
    max_ece: Annotated[
        float | None, typer.Option(help="FAIL above this expected calibration error on dev.")
    ] = None,
    max_slice_gap: Annotated[
        float | None, typer.Option(help="FAIL when a metadata slice's dev error exceeds the rest's by more.")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help=f"Comma-separated finding kinds that FAIL: {', '.join(KINDS)}.")
    ] = None,
    warn_on: Annotated[str | None, typer.Option(help="Comma-separated finding kinds that WARN.")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A stored report: FAIL when dev error is significantly worse.")
    ] = None,
    baseline_tolerance: Annotated[
        float | None, typer.Option(help="Dev-error worsening accepted against the baseline (default 0).")
    ] = None,
    strict: Annotated[bool | None, typer.Option("--strict", help="WARN fails too (exit 1).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the check report here.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here: one testcase per rule.")] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(help="Write a Markdown summary here (for $GITHUB_STEP_SUMMARY, a PR comment)."),
    ] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Write curves.png and errors.png into this folder.")
    ] = None,
    device: DeviceOpt = None,
    seed: SeedOpt = 0,
    epochs: EpochsOpt = None,
    bayes_error: BayesErrorOpt = None,
    target_error: TargetErrorOpt = None,
    confidence: ConfidenceOpt = 0.95,
    min_gap: MinGapOpt = Policy.min_gap,
    force: Annotated[bool, typer.Option(help="Compare with a --baseline of another recipe.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    debug: DebugOpt = False,
    threads: ThreadsOpt = None,
    predictions: PredictionsOpt = None,
    task: TaskOpt = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Gate a stored report (diagnose, monitor, callback) without retraining."),
    ] = None,
) -> None:
    """Diagnose RECIPE (or --predictions, or take --report), then enforce a policy: exit 0 all rules
    pass, 1 any FAIL or ERROR, 2 bad usage."""
    from dldoctor.check import check, check_predictions, check_report
    from dldoctor.doctor import DiagnoseOptions
    from dldoctor.gates import load_policy
    from dldoctor.predictions import load_predictions
    from dldoctor.recipe import load_recipe
    from dldoctor.report.console import render, render_gate, render_stored, training_progress
    from dldoctor.report.markdown import render_markdown

    flags = {
        "max_dev_error": max_dev_error,
        "max_test_error": max_test_error,
        "max_avoidable_bias": max_avoidable_bias,
        "max_variance": max_variance,
        "max_mismatch": max_mismatch,
        "max_dev_overfit": max_dev_overfit,
        "max_label_noise": max_label_noise,
        "max_ece": max_ece,
        "max_slice_gap": max_slice_gap,
        "fail_on": fail_on,
        "warn_on": warn_on,
        "baseline": baseline,
        "baseline_tolerance": baseline_tolerance,
        "strict": strict,
    }

    def run() -> int:
        outputs = _outputs(json_path, junit, markdown, plots)
        rules = load_policy(policy, flags, Path.cwd())
        options = DiagnoseOptions(
            seed=seed,
            device=device,
            epochs=epochs,
            bayes_error=bayes_error,
            target_error=target_error,
            confidence=confidence,
            min_gap=min_gap,
        )
        out, err = Console(), Console(stderr=True, quiet=quiet)
        source = _source(recipe=recipe, predictions=predictions, report=report)
        if source == "report":
            result = check_report(report, rules, force=force)
        elif source == "predictions":
            found = load_predictions(predictions, task)
            result = check_predictions(found, rules, options.validate(), force=force)
        else:
            loaded = load_recipe(recipe)
            with training_progress(err, loaded.name, loaded.task, epochs or loaded.epochs) as on_epoch:
                result = check(loaded, rules, options.validate(), on_epoch=on_epoch, force=force)
        document = result.to_dict()
        if result.report is not None:
            render(result.report, out)
        else:
            render_stored(render_markdown(result.stored or {}), out)
        render_gate(document, out)
        _write_outputs(document, outputs, plots, out)
        return result.gate.exit_code

    raise typer.Exit(_guarded(run, debug, threads))


@app.command("report")
def report_command(
    path: Annotated[Path, typer.Argument(help="A report written by `diagnose --json` or `check --json`.")],
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML of a check report here.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a Markdown summary here.")] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Write curves.png and errors.png into this folder.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Write the files only.")] = False,
    debug: DebugOpt = False,
    threads: ThreadsOpt = None,
) -> None:
    """Re-render a stored report (terminal, Markdown, JUnit, plots) without training anything."""
    from dldoctor.report.console import render_stored
    from dldoctor.report.markdown import render_markdown
    from dldoctor.report.stored import load_report

    def run() -> int:
        outputs = _outputs(None, junit, markdown, plots)
        document = load_report(path)
        out = Console(quiet=quiet)
        render_stored(render_markdown(document), out)
        _write_outputs(document, outputs, plots, out)
        return 0

    raise typer.Exit(_guarded(run, debug, threads))


@app.command("bayes")
def bayes_command(
    recipe: RecipeArg,
    train: Annotated[
        bool, typer.Option(help="Train the model first, to estimate on its embedding and outputs.")
    ] = True,
    epochs: EpochsOpt = None,
    confidence: ConfidenceOpt = 0.95,
    device: DeviceOpt = None,
    seed: SeedOpt = 0,
    debug: DebugOpt = False,
    threads: ThreadsOpt = None,
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

    raise typer.Exit(_guarded(run, debug, threads))


def _source(**given: object) -> str:
    """Which one thing to diagnose: a recipe, saved predictions or (check) a stored report."""
    chosen = [name for name, value in given.items() if value is not None]
    if len(chosen) != 1:
        names = " or ".join("RECIPE" if name == "recipe" else f"--{name} FILE" for name in given)
        got = f" (got {' and '.join(chosen)})" if chosen else ""
        raise UsageError(f"give exactly one of {names}{got}")
    return chosen[0]


def _from_predictions(path: Path, task: str | None, options: DiagnoseOptions) -> Report:
    from dldoctor.posthoc import diagnose_predictions
    from dldoctor.predictions import load_predictions

    return diagnose_predictions(load_predictions(path, task), options)


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


def _with_params(recipe: Recipe, path: Path, seed: int, err: Console, force: bool) -> Recipe:
    from dldoctor.tuning.params import apply_params, read_params

    tuned = read_params(path)
    err.print(f"[dim]Using trial {tuned.trial} of study '{tuned.study}' from {path}[/]")
    if tuned.seed != seed:
        err.print(f"[dim]That trial ran with seed {tuned.seed}; pass --seed {tuned.seed} to reproduce it.[/]")
    return apply_params(recipe, tuned, force)


@app.command("tune")
def tune_command(
    recipe: RecipeArg,
    trials: Annotated[
        int, typer.Option(help="Finished trials the study should hold (a rerun resumes).")
    ] = 20,
    metric: Annotated[str, typer.Option(help="Minimised: dev_error or dev_loss.")] = "dev_error",
    sampler: Annotated[str, typer.Option(help="tpe (multivariate), qmc, random or gp.")] = "tpe",
    explore: Annotated[
        int, typer.Option(help="Two phases: the first N trials quasi-random (Sobol), then the sampler.")
    ] = 0,
    pruner: Annotated[str, typer.Option(help="median, asha, hyperband or none.")] = "median",
    storage: Annotated[
        str | None, typer.Option(help="Database URL (default: dldoctor-tune.db here; postgresql://...).")
    ] = None,
    study: Annotated[str | None, typer.Option(help="Study name (default: the recipe's name).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes on this host.")] = 1,
    seed: Annotated[int, typer.Option(help="Seeds data, initialisation and shuffling of every trial.")] = 0,
    device: DeviceOpt = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per trial (default: the recipe's).")] = None,
    heartbeat: Annotated[int, typer.Option(help="Seconds between a running trial's heartbeats.")] = 10,
    grace: Annotated[
        int, typer.Option(help="Seconds without a heartbeat before a trial is failed and retried.")
    ] = 60,
    retries: Annotated[int, typer.Option(help="How often a trial lost with its worker is retried.")] = 2,
    pack: Annotated[
        str, typer.Option(help="Trials trained at once as one population: auto, or a number (1: off).")
    ] = "auto",
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
    debug: DebugOpt = False,
    threads: ThreadsOpt = None,
) -> None:
    """Search RECIPE's hyperparameters (lr, β, batch size, and what it declares) with Optuna."""
    from dldoctor.outputs import check_file, check_folder
    from dldoctor.recipe import load_recipe
    from dldoctor.report.tune_console import live_trials, render_result, render_setup
    from dldoctor.tuning import study as tuning

    def run() -> int:
        tuning.quiet_optuna()
        options = tuning.TuneOptions(
            trials,
            metric,
            sampler,
            explore,
            pruner,
            storage,
            study,
            workers,
            seed,
            device,
            epochs,
            heartbeat,
            grace,
            retries,
            pack,
        ).validate()
        for option, path in (("--export", export), ("--csv", csv)):
            if path is not None:
                check_file(path, option)
        if plots is not None:
            check_folder(plots, "--plots")
        out, note = Console(quiet=quiet), Console(stderr=True)
        loaded = load_recipe(recipe)
        adjust = _guidance(loaded, options, from_diagnosis, auto, force)
        unit = loaded.task if options.metric == "dev_error" else "loss"
        with ExitStack() as stack:

            def started(setup: tuning.StudySetup) -> None:
                render_setup(setup, out)
                listener.finished = stack.enter_context(live_trials(out, setup, unit)).finished

            listener = tuning.Listener(
                started=started, note=lambda message: note.print(message, markup=False)
            )
            result = tuning.tune(recipe if workers > 1 else loaded, options, adjust=adjust, listener=listener)
        _write_tune_outputs(result, export, plots, csv)
        render_result(result, out, unit, str(export) if export and result.best else None)
        return 130 if result.interrupted else 0

    raise typer.Exit(_guarded(run, debug, threads))


def _guidance(
    recipe: Recipe, options: TuneOptions, report_path: Path | None, auto: bool, force: bool
) -> Guidance | None:
    """The diagnosis-aware space adjuster, from a report file or a fresh diagnosis (--auto)."""
    from dldoctor.tuning.guidance import guidance, read_report

    if report_path is not None and auto:
        raise UsageError("use --from-diagnosis or --auto, not both")
    if report_path is not None:
        return guidance(read_report(report_path), recipe, force)
    if not auto:
        return None
    from dldoctor.doctor import DiagnoseOptions, diagnose

    report = diagnose(
        recipe, DiagnoseOptions(seed=options.seed, device=options.device, epochs=options.epochs)
    )
    print(f"Diagnosis: {report.verdict} — {report.diagnosis.reason}", file=sys.stderr)
    return guidance(report.to_dict(), recipe, force)


def _write_tune_outputs(
    result: TuneResult, export: Path | None, plots: Path | None, csv: Path | None
) -> None:
    from dldoctor.tuning.params import tuned, write_params
    from dldoctor.tuning.results import write_csv

    setup = result.setup
    if export is not None and result.best is not None:
        write_params(tuned(result.best, setup.recipe, setup.study, setup.options.metric, result.seed), export)
    if csv is not None:
        write_csv(result.study, setup.space, csv)
    if plots is not None:
        from dldoctor.report.tune_plots import write_plots

        write_plots(result.study, setup.space, result.importances, plots)


def _kinds(spec: str | None) -> set[str]:
    kinds = {k.strip() for k in (spec or "").split(",") if k.strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise UsageError(f"--fail-on: unknown kind {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    return kinds


def _guarded(run: Callable[[], int], debug: bool, threads: int | None = None) -> int:
    """Run a command with its torch threads settled; turn failures into one line on stderr and an
    exit code. Only a failure in dldoctor's own code is exit 3: the user's code raising or exiting,
    however deep, is exit 2."""
    from dldoctor import threads as torch_threads
    from dldoctor.errors import UserCodeError, raised_by_user_code, user_location

    try:
        torch_threads.configure(threads)
        return run()
    except DoctorError as exc:
        _fail(f"error: {exc}", debug)
        return 2
    except KeyboardInterrupt as exc:
        where = user_location(exc)
        _fail(f"interrupted (in {where})" if where else "interrupted", debug)
        return 130
    except SystemExit as exc:
        _fail(f"error: {UserCodeError('code run by dldoctor', exc)}", debug)
        return 2
    except Exception as exc:
        if (user_error := raised_by_user_code(exc)) is not None:
            _fail(f"error: {user_error}", debug)
            return 2
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
