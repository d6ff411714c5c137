"""The study loop for a PackedRunner: claim, group by shape, train populations, refill, tell.

A worker holds at most `capacity` trials (training or parked), claimed several at a time with one
read of the study and the sequential loop's budget checks. Each trial asked before the others are
told is sampled without their results — TPE's ask-ahead — so the cap on what is held is also the cap
on how far the search runs ahead of its feedback. Held trials are grouped by shape (batch size,
architecture, optimiser); each group trains as one population (one too small to gain from it, one
trial at a time), and a slot freed by a finished, pruned or diverged member is refilled with a held
or newly claimed trial of the same shape. Every trial held beats its heartbeat, and an interrupt or
error fails them all, so resume, Ctrl-C and a killed worker behave as one at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import optuna

from dldoctor.tuning import study as loop
from dldoctor.tuning.heartbeat import Heartbeats
from dldoctor.tuning.packing import smallest_population
from dldoctor.tuning.reports import Reports
from dldoctor.tuning.runner import PackedRunner, TrialOutcome, TrialPlan, shape_key


class PackedWork:
    """One worker's packed loop over a study (see the module docstring)."""

    def __init__(
        self,
        study: optuna.Study,
        worker: loop._Worker,
        finished: Callable[[optuna.trial.FrozenTrial], None],
        note: Callable[[str], None],
    ) -> None:
        self.study = study
        self.worker = worker
        self.runner: PackedRunner = worker.runner  # type: ignore[assignment]
        self.finished = finished
        self.note = note
        self.smallest = smallest_population(self.runner.device)
        self.held = Heartbeats(study)
        self.reports = Reports(study)
        self.parked: list[TrialPlan] = []  # held, not training yet
        self.full = False  # no room in the budget at the last claim: no more claims until the next group

    def run(self) -> None:
        idle = loop._Idle(self.worker, self.note)
        with self.held.beating():
            try:
                while True:
                    group, state = self._group()
                    if 0 < len(group) < self.smallest:  # too few to gain from vmap: the lone engine
                        idle.reset()
                        self.runner.one_by_one(group, self._monitor, self._finish)
                    elif group:
                        idle.reset()
                        self.runner.train(group, self._monitor, self._finish, self._refill)
                    elif state == "done" or (state == "full" and not idle.wait(self.study)):
                        return
            except BaseException as exc:
                for trial in list(self.held.trials.values()):
                    loop._abandon(self.study, trial, exc)
                raise

    def _group(self) -> tuple[list[TrialPlan], str]:
        """The next population: the held trials of the commonest shape, once the held trials are
        topped up; with the state of that claim."""
        self.full = False
        state = self._top_up()
        if not self.parked:
            return [], state
        key = Counter(shape_key(p) for p in self.parked).most_common(1)[0][0]
        group = [p for p in self.parked if shape_key(p) == key]
        self.parked = [p for p in self.parked if shape_key(p) != key]
        return group, state

    def _top_up(self) -> str:
        """Claim trials until this worker holds `capacity` of them; the last claim's state."""
        state = "held"
        while not self.full and (room := self.runner.capacity - len(self.held.trials)) > 0:
            state = self._claim(room)
            if state != "again":
                break
        return state

    def _claim(self, count: int) -> str:
        """Claim up to `count` trials, hold and park them: "got", or why none (see loop._claim)."""
        with loop._interrupt_deferred() as interrupted:  # a Ctrl-C before they are held would orphan them
            claimed = loop._claim(self.study, self.worker.options, count)
            for trial in claimed if isinstance(claimed, list) else []:
                self.held.add(trial)
        if interrupted():
            raise KeyboardInterrupt  # run() fails every held trial, these included
        if isinstance(claimed, str):
            self.full = claimed in ("done", "full")
            return claimed
        for trial in claimed:  # named first, all of them: a dead worker's named trials are reclaimed at once
            trial.set_user_attr("worker", self.worker.name)
        self.parked += [loop._plan(trial, self.worker) for trial in claimed]
        return "got"

    def _refill(self, key: tuple) -> TrialPlan | None:
        """A held trial of shape `key` for a freed slot, claimed first when none is held."""
        if not any(shape_key(p) == key for p in self.parked):
            self._top_up()
        plan = next((p for p in self.parked if shape_key(p) == key), None)
        if plan is not None:
            self.parked.remove(plan)
        return plan

    def _monitor(self, number: int, epoch: int, value: float) -> bool:
        return self.reports.add(self.held.trials[number], epoch, value)

    def _finish(self, plan: TrialPlan, outcome: TrialOutcome) -> None:
        """Tell, then let go: a trial leaves `held` only once told, so an interrupt mid-tell fails it."""
        trial = self.held.trials[plan.number]
        told = loop._tell(self.study, trial, outcome, self.worker.name, self.note, self.reports)
        self.held.pop(plan.number)
        if told is not None:
            self.finished(told)
