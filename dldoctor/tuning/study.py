"""`tune`: search a recipe's hyperparameters with a genuine Optuna study.

The loop asks for a trial, trains it through a TrialRunner, and tells Optuna how it ended. Finished
trials (complete, pruned, diverged) count toward the budget, so a rerun resumes; a trial is only
started when the budget has room for it, checked again after Optuna numbered it, so several workers
on several machines stop at exactly the requested count.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from dldoctor import threads
from dldoctor.data import Data
from dldoctor.errors import DoctorError, UsageError, raised_by_user_code
from dldoctor.optim import field_label, has_beta
from dldoctor.recipe import Recipe, load_recipe
from dldoctor.search_space import SearchSpace, build_space
from dldoctor.training import build_model, prepare_run, resolve_device
from dldoctor.tuning import _optuna
from dldoctor.tuning.heartbeat import Heartbeats
from dldoctor.tuning.options import TuneOptions
from dldoctor.tuning.packing import Packing, choose_packing, make_runner
from dldoctor.tuning.progress import Progress, TrialReport
from dldoctor.tuning.pruners import make_pruner
from dldoctor.tuning.reports import Reports
from dldoctor.tuning.results import StudySetup, TuneResult, summarise
from dldoctor.tuning.runner import SequentialRunner, TrialOutcome, TrialPlan, TrialRunner
from dldoctor.tuning.samplers import make_sampler
from dldoctor.tuning.status import TrialStatus
from dldoctor.tuning.storage import mask, open_storage

LIVE = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
POLL_S = 0.5

# The space as the study will search it -> (final space, notes saying why it changed).
SpaceAdjuster = Callable[[SearchSpace], tuple[SearchSpace, list[str]]]


@dataclass
class Listener:
    """Hooks for a front end: the setup before the first trial, then each finished trial, and
    events worth a line (a worker died, its trial was retried; waiting for another's trial)."""

    started: Callable[[StudySetup], None] = lambda setup: None
    finished: Callable[[TrialReport], None] = lambda report: None
    note: Callable[[str], None] = lambda message: None


@dataclass
class _Worker:
    """What one process needs to run trials: the recipe, its data on the device, the space."""

    recipe: Recipe
    data: Data
    space: SearchSpace
    runner: TrialRunner
    options: TuneOptions
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


def tune(
    recipe: Recipe | str | Path,
    options: TuneOptions | None = None,
    *,
    adjust: SpaceAdjuster | None = None,
    listener: Listener | None = None,
) -> TuneResult:
    """Run (or resume) the study until it holds `options.trials` finished trials; Ctrl-C stops it
    cleanly and the result says so. Raises DoctorError on bad input."""
    started = time.perf_counter()
    options = (options or TuneOptions()).validate()
    listener = listener or Listener()
    if isinstance(recipe, Recipe):
        if options.workers > 1:
            raise UsageError("--workers > 1 needs the recipe as a file path, so each worker can load it")
        spec, loaded = "", recipe.validate()
    else:
        spec, loaded = str(recipe), load_recipe(recipe)
    storage = open_storage(options.storage_url, options.storage_settings)  # a bad URL fails before training
    worker = _prepare(loaded.replace(epochs=options.epochs), options)
    notes = [] if has_beta(loaded.optimizer) else [beta_note(loaded.optimizer)]
    if adjust is not None:
        worker.space, adjusted = adjust(worker.space)
        notes += adjusted
    packing = _pack(worker)
    study = _open_study(storage, worker, options)
    progress = Progress(worker.space, study.get_trials(deepcopy=False))
    setup = StudySetup(
        recipe=worker.recipe.name,
        study=study.study_name,
        storage=mask(options.storage_url),
        space=worker.space,
        trials=options.trials,
        finished=progress.counts.finished,
        options=options,
        epochs=worker.recipe.epochs,
        notes=tuple(notes),
        packing=packing.describe(),
    )
    listener.started(setup)
    interrupted = False
    try:
        if options.workers == 1:
            _work(study, worker, lambda trial: _feed(progress, trial, listener), listener.note)
        else:
            _run_processes(study, spec, worker.space, options, progress, listener)
    except KeyboardInterrupt:
        interrupted = True
    return summarise(study, setup, interrupted, time.perf_counter() - started)


def beta_note(optimizer: str | Callable[..., Any]) -> str:
    return f"β is not searched: {field_label(optimizer)} has no first-moment coefficient (momentum or betas)."


def _feed(progress: Progress, trial: optuna.trial.FrozenTrial, listener: Listener) -> None:
    report = progress.add(trial)
    if report is not None:
        listener.finished(report)


def _prepare(recipe: Recipe, options: TuneOptions) -> _Worker:
    """Load the data once for all this process's trials and check the model fits it."""
    device = resolve_device(options.device)
    data, _, _ = prepare_run(recipe, options.seed, device)
    space = build_space(
        recipe.search_space, recipe.model, len(data.train), recipe.name, has_beta(recipe.optimizer)
    )
    runner = SequentialRunner(data, options.metric, device)
    return _Worker(recipe, data, space, runner, options)


def _pack(worker: _Worker) -> Packing:
    """Decide on packing once the space is final, and give the worker a packed runner if so; with
    several workers each packs at most its share of the budget, so that none claims every trial."""
    options = worker.options
    device = resolve_device(options.device)
    model = build_model(worker.recipe, options.seed, device)
    packing = choose_packing(options.pack, worker.recipe, model, worker.data, worker.space, device)
    if options.workers > 1:
        packing = packing.shared(options.trials, options.workers)
    worker.runner = make_runner(packing, worker.data, options.metric, device)
    return packing


def _open_study(storage: optuna.storages.BaseStorage, worker: _Worker, options: TuneOptions) -> optuna.Study:
    """Create the study, or load it and check it was made for this recipe, metric and space."""
    name = options.study or worker.recipe.name
    sampler_seed = _sampler_seed(options, 0, _trial_count(storage, name))
    fingerprint = {
        "recipe": worker.recipe.name,
        "metric": options.metric,
        "space": worker.space.signature(),
        "seed": options.seed,
        "epochs": worker.recipe.epochs,
    }
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="minimize",
        sampler=make_sampler(options.sampler, sampler_seed, options.explore, qmc_seed=options.seed),
        pruner=make_pruner(options.pruner, worker.recipe.epochs),
        load_if_exists=True,
    )
    found = study.user_attrs.get("dldoctor")
    if found is None:
        study.set_user_attr("dldoctor", fingerprint)
    elif found != fingerprint:
        changed = ", ".join(k for k in fingerprint if found.get(k) != fingerprint[k])
        raise UsageError(
            f"study '{study.study_name}' was started with a different {changed}; resume it with the"
            " same settings or start a new one with --study NAME"
        )
    return study


def _sampler_seed(options: TuneOptions, index: int, history: int) -> int | None:
    """Reproducible for one local worker, and mixed with the `history` (trials the study already
    holds) so that a resumed study continues the search instead of replaying its first trials;
    mixed with host and process when workers share a study, so their random start-up trials differ."""
    shared = options.workers > 1 or not options.storage_url.startswith("sqlite")
    if shared:
        return hash((options.seed, index, socket.gethostname(), os.getpid())) % 2**31
    return options.seed if history == 0 else hash((options.seed, history)) % 2**31


def _trial_count(storage: optuna.storages.BaseStorage, name: str) -> int:
    try:
        return storage.get_n_trials(storage.get_study_id_from_name(name))
    except KeyError:
        return 0


def _work(
    study: optuna.Study,
    worker: _Worker,
    finished: Callable[[optuna.trial.FrozenTrial], None],
    note: Callable[[str], None],
) -> None:
    """Run trials until the study holds the budget; wait for others' running trials to end (or go
    stale and be retried) before leaving, and say what it waits for when that takes a while."""
    if worker.runner.capacity > 1:
        from dldoctor.tuning.packed_loop import PackedWork  # it builds on this module's helpers

        PackedWork(study, worker, finished, note).run()
        return
    idle = _Idle(worker, note)
    reports = Reports(study)
    while True:
        claimed: list[optuna.Trial] | str = []
        try:  # from the moment a trial is in hand, an interrupt anywhere fails it
            claimed = _claim(study, worker.options)
            if claimed == "done" or (claimed == "full" and not idle.wait(study)):
                return
            if isinstance(claimed, str):
                continue
            idle.reset()
            report = _run_trial(study, claimed[0], worker, note, reports)
        except BaseException as exc:
            for trial in claimed if isinstance(claimed, list) else []:
                _abandon(study, trial, exc)
            raise
        if report is not None:
            finished(report)


def _claim(study: optuna.Study, options: TuneOptions, count: int = 1) -> list[optuna.Trial] | str:
    """Up to `count` new trials, as many as the budget has room for, with one read of the study;
    else why none: "done" (the study holds the budget), "full" (running trials fill it), "again"
    (another worker took the slot; look again). An error or interrupt midway fails those in hand."""
    budget = options.trials
    trials = _fail_stale(study, options.grace)
    if sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) >= budget:
        return "done"
    live = sum(t.state in LIVE for t in trials)
    waiting = sum(t.state == TrialState.WAITING for t in trials)
    room = budget - live + waiting  # asking takes a WAITING trial before it creates one
    if room <= 0:
        return "full"
    claimed: list[optuna.Trial] = []
    try:
        for index in range(min(count, room)):
            claimed.append(trial := _ask(study, fresh=index >= waiting))
            # Numbers are dense: `trial.number - len(trials)` trials were created since the read (by
            # others, or by this claim); only when they could have filled the budget is the
            # (costlier) exact check needed.
            if live + trial.number - len(trials) >= budget and _surplus(study, trial, budget):
                _release(study, trial)
                claimed.pop()
                break
    except BaseException as exc:
        for trial in claimed:
            _abandon(study, trial, exc)
        raise
    return claimed or "again"


class _Idle:
    """Waiting for other workers' running trials: say what for once it takes a while, give up once
    they had time to go stale."""

    def __init__(self, worker: _Worker, note: Callable[[str], None]) -> None:
        self.worker = worker
        self.note = note
        self.since: float | None = None
        self.told = False

    def wait(self, study: optuna.Study) -> bool:
        """Sleep a poll interval; False once the wait has lasted past grace + heartbeat."""
        options = self.worker.options
        self.since = self.since or time.monotonic()
        waited = time.monotonic() - self.since
        if waited > options.grace + options.heartbeat:
            return False
        if not self.told and waited > 2 * options.heartbeat:
            self.note(_waiting(study.get_trials(deepcopy=False), self.worker))
            self.told = True
        time.sleep(POLL_S)
        return True

    def reset(self) -> None:
        self.since, self.told = None, False


def _waiting(trials: list[optuna.trial.FrozenTrial], worker: _Worker) -> str:
    running = [t for t in trials if t.state == TrialState.RUNNING]
    listed = ", ".join(f"{t.number} ({t.user_attrs.get('worker', 'starting')})" for t in running)
    return (
        f"{worker.name}: nothing left to start; waiting for trial {listed} to finish. A trial whose"
        f" worker died is failed and retried after {worker.options.grace} s without a heartbeat (--grace)"
    )


def _ask(study: optuna.Study, fresh: bool = False) -> optuna.Trial:
    """study.ask() (a new trial without looking for a WAITING one to take when `fresh`), minus
    Optuna's warning that heartbeats are meant for optimize(): this loop beats itself (see
    _heartbeat). A Ctrl-C during the ask waits until the trial is in hand, so it is failed rather than
    left RUNNING with nobody to fail it."""
    with warnings.catch_warnings(), _interrupt_deferred() as interrupted:
        warnings.filterwarnings("ignore", message="Heartbeat of storage", category=UserWarning)
        trial = _optuna.new_trial(study) if fresh else study.ask()
    if interrupted():
        _abandon(study, trial, KeyboardInterrupt())
        raise KeyboardInterrupt
    return trial


@contextmanager
def _interrupt_deferred() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT back for the block (main thread only: elsewhere signals never arrive anyway);
    yields whether one came."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield lambda: bool(caught)
    finally:
        signal.signal(signal.SIGINT, previous)


def _surplus(study: optuna.Study, trial: optuna.Trial, budget: int) -> bool:
    """Another worker took the last slot between our check and Optuna numbering this trial."""
    ahead = study.get_trials(deepcopy=False, states=LIVE)
    return sum(t.number < trial.number for t in ahead) >= budget


def _release(study: optuna.Study, trial: optuna.Trial) -> None:
    """Hand a surplus trial back as WAITING (it has no params yet); a later run with a larger budget
    takes it first. Optuna has no public call for this (see _optuna)."""
    _optuna.set_state(study, trial, TrialState.WAITING)


def _run_trial(
    study: optuna.Study, trial: optuna.Trial, worker: _Worker, note: Callable[[str], None], reports: Reports
) -> optuna.trial.FrozenTrial | None:
    """Train one trial and record how it ended (None: another worker failed it meanwhile).

    The heartbeat starts before anything else is written: a worker killed after that point leaves a
    trial the others can see go stale, fail and retry — not one left RUNNING for ever.
    """

    def monitor(number: int, epoch: int, value: float) -> bool:
        return reports.add(trial, epoch, value)

    with _heartbeat(study, trial):
        trial.set_user_attr("worker", worker.name)
        outcome = worker.runner.run([_plan(trial, worker)], monitor)[0]
    return _tell(study, trial, outcome, worker.name, note, reports)


def _plan(trial: optuna.Trial, worker: _Worker) -> TrialPlan:
    """The trial's suggested settings applied to the recipe."""
    changes, model_params = worker.space.decode(worker.space.suggest(trial))
    return TrialPlan(trial.number, worker.recipe.replace(**changes), model_params, worker.options.seed)


def _abandon(study: optuna.Study, trial: optuna.Trial, exc: BaseException) -> None:
    """An interrupt or error anywhere between ask and tell marks the trial failed (unless the tell
    already happened), so no trial is left RUNNING."""
    try:
        trial.set_user_attr("note", "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc))
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    except optuna.exceptions.UpdateFinishedTrialError:
        pass


def _tell(
    study: optuna.Study,
    trial: optuna.Trial,
    outcome: TrialOutcome,
    name: str,
    note: Callable[[str], None],
    reports: Reports,
) -> optuna.trial.FrozenTrial | None:
    """Record how the trial ended, its epoch reports written first; None, with a line, when another
    worker had already failed it (this worker's heartbeat lapsed, a stalled machine say, and the trial
    was retried): the result is dropped."""
    reports.flush()
    try:
        told = _told(study, trial, outcome)
    except optuna.exceptions.UpdateFinishedTrialError:
        told = None
    if told is None or (told.state == TrialState.FAIL and outcome.status != TrialStatus.FAILED):
        note(
            f"{name}: trial {trial.number} was failed by another worker while this one trained it (its"
            " heartbeat lapsed) and is retried there; this result is dropped"
        )
        return None
    return told


def _told(study: optuna.Study, trial: optuna.Trial, outcome: TrialOutcome) -> optuna.trial.FrozenTrial:
    if outcome.message:
        trial.set_user_attr("note", outcome.message)
    if outcome.status == TrialStatus.COMPLETE:
        return study.tell(trial, outcome.value, skip_if_finished=True)
    if outcome.status == TrialStatus.DIVERGED:
        trial.set_user_attr("diverged", True)
    state = TrialState.FAIL if outcome.status == TrialStatus.FAILED else TrialState.PRUNED
    return study.tell(trial, state=state, skip_if_finished=True)


@contextmanager
def _heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Beat while the trial trains, so other workers can tell it from one whose worker died."""
    beats = Heartbeats(study)
    beats.add(trial)
    with beats.beating():
        yield


def _fail_stale(study: optuna.Study, grace: int) -> list[optuna.trial.FrozenTrial]:
    """Fail trials whose worker stopped beating (the storage's callback queues their retry), and
    trials whose worker died between creating them and its first beat: still RUNNING, never
    claimed, older than the grace. Left alone, such a trial would hold a slot of the budget for ever.
    Returns the study's trials as they now stand (read once, again only when some were failed)."""
    _optuna.fail_stale_trials(study)
    cutoff = datetime.now() - timedelta(seconds=grace)
    trials = study.get_trials(deepcopy=False)
    failed = False
    for trial in trials:
        unclaimed = trial.state == TrialState.RUNNING and "worker" not in trial.user_attrs
        if unclaimed and trial.datetime_start and trial.datetime_start < cutoff:
            with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
                _optuna.set_state(study, trial, TrialState.FAIL)
            failed = True
    return study.get_trials(deepcopy=False) if failed else trials


def _run_processes(
    study: optuna.Study,
    spec: str,
    space: SearchSpace,
    options: TuneOptions,
    progress: Progress,
    listener: Listener,
) -> None:
    """N worker processes share the study; this process watches it for the live view, and when a
    worker dies fails and requeues its trial at once (it knows the worker is gone: no grace
    needed). A study that still reaches its budget has succeeded; the deaths are reported."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_child,
            args=(spec, study.study_name, space, options, i, threads.requested()),
            name=f"dldoctor-{i}",
        )
        for i in range(options.workers)
    ]
    for process in processes:
        process.start()
    lost: dict[int, str] = {}
    try:
        while any(p.is_alive() for p in processes):
            _poll(study, progress, listener)
            _reclaim(study, processes, lost, options.retries, listener)
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    finally:
        _poll(study, progress, listener)
    _reclaim(study, processes, lost, options.retries, listener)
    held = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.get_trials(deepcopy=False))
    if lost and held < options.trials:
        raise DoctorError(
            f"{len(lost)} of {len(processes)} workers stopped ({'; '.join(lost.values())}) and the study"
            f" holds {held} of {options.trials} trials; rerun the same command to resume it (a worker's"
            " own error, if it had one, is printed above)"
        )


def _reclaim(
    study: optuna.Study, processes: list[Any], lost: dict[int, str], retries: int, listener: Listener
) -> None:
    """Note each worker that ended badly, once; fail its running trials and queue their retries."""
    for index, process in enumerate(processes):
        code = process.exitcode
        if index in lost or code in (None, 0, 130):
            continue
        how = f"died, killed by signal {-code}" if code < 0 else f"stopped with exit code {code}"
        lost[index] = f"worker {index}: {how}"
        name = f"{socket.gethostname()}:{process.pid}"
        orphans = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if t.user_attrs.get("worker") == name
        ]
        retried = "; ".join(_retry(study, trial, retries) for trial in orphans)
        listener.note(f"worker {index} (pid {process.pid}) {how}{'; ' + retried if retried else ''}")


def _retry(study: optuna.Study, trial: optuna.trial.FrozenTrial, retries: int) -> str:
    """Fail a dead worker's trial and queue it again with the same parameters (up to `retries`)."""
    _optuna.set_state(study, trial, TrialState.FAIL)
    optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=retries)(study, _optuna.frozen(study, trial))
    trials = study.get_trials(deepcopy=False)
    again = [t.number for t in trials if t.system_attrs.get("retry_history", [])[-1:] == [trial.number]]
    if not again:
        return f"its trial {trial.number} failed and was not retried (--retries {retries} used up)"
    return f"its trial {trial.number} was failed and is retried as trial {again[-1]}"


def _poll(study: optuna.Study, progress: Progress, listener: Listener) -> None:
    for trial in study.get_trials(deepcopy=False):
        _feed(progress, trial, listener)


def _stop(processes: list[Any]) -> None:
    """Pass Ctrl-C on to the workers (a terminal already did) and wait for them to record it."""
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGINT)
    for process in processes:
        process.join(timeout=60)
        if process.is_alive():
            process.terminate()


def quiet_optuna() -> None:
    """Optuna logs every trial at INFO; the live view already shows them."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _child(
    spec: str, study_name: str, space: SearchSpace, options: TuneOptions, index: int, thread_count: int | None
) -> None:
    """A worker process: load the recipe and data, join the study, run trials. Ends with one line
    and exit 2 (bad input, the user's code) or 3 (a bug in dldoctor), never a traceback."""
    quiet_optuna()
    try:
        threads.configure(thread_count, share=options.workers)
        worker = _prepare(load_recipe(spec).replace(epochs=options.epochs), options)
        worker.space = space
        _pack(worker)
        storage = open_storage(options.storage_url, options.storage_settings)
        study = optuna.load_study(
            study_name=study_name,
            storage=storage,
            sampler=make_sampler(
                options.sampler, _sampler_seed(options, index, 0), options.explore, options.seed
            ),
            pruner=make_pruner(options.pruner, worker.recipe.epochs),
        )
        _work(study, worker, lambda trial: None, lambda message: print(message, file=sys.stderr))
    except KeyboardInterrupt:
        sys.exit(130)
    except DoctorError as exc:
        print(f"error (worker {index}): {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        if (user_error := raised_by_user_code(exc)) is not None:
            print(f"error (worker {index}): {user_error}", file=sys.stderr)
            sys.exit(2)
        print(f"internal error in dldoctor worker {index} ({type(exc).__name__}: {exc})", file=sys.stderr)
        sys.exit(3)
