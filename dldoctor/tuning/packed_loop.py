"""The study loop for a PackedRunner: ask, group by shape, train populations, refill, tell.

Trials are asked as the sequential loop asks them (the same budget checks), grouped by shape (batch
size, architecture, optimiser), and each group trains as one population; a slot freed by a finished,
pruned or diverged member is refilled with a newly asked trial of the same shape, and a trial of
another shape waits, parked, for a later population. Every trial held beats its heartbeat, and an
interrupt or error fails them all, so resume, Ctrl-C and a killed worker behave as one at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import optuna

from dldoctor.tuning import study as loop
from dldoctor.tuning.heartbeat import Heartbeats
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
        self.held = Heartbeats(study)
        self.parked: list[TrialPlan] = []
        self.full = False  # the budget had no room at the last ask: refills stop asking until the next group

    def run(self) -> None:
        idle = loop._Idle(self.worker, self.note)
        with self.held.beating():
            try:
                while True:
                    group, state = self._group()
                    if len(group) == 1 and self.full:  # nothing can join it: the lone engine is faster
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
        """The next population: parked trials of the commonest shape, topped up with new trials;
        with the claim state that ended the topping up."""
        group: list[TrialPlan] = []
        self.full = False
        if self.parked:
            key = Counter(shape_key(p) for p in self.parked).most_common(1)[0][0]
            group = [p for p in self.parked if shape_key(p) == key][: self.runner.capacity]
            self.parked = [p for p in self.parked if p not in group]
        state = "got"
        while len(group) < self.runner.capacity and len(self.parked) < self.runner.capacity:
            plan, state = self._claim()
            if plan is None:
                if state == "again":
                    continue
                break
            if not group or shape_key(plan) == shape_key(group[0]):
                group.append(plan)
            else:
                self.parked.append(plan)
        return group, state

    def _claim(self) -> tuple[TrialPlan | None, str]:
        with loop._interrupt_deferred() as interrupted:  # a Ctrl-C before the trial is held would orphan it
            trial = loop._claim(self.study, self.worker.options)
            if not isinstance(trial, str):
                self.held.add(trial)
        if interrupted():
            raise KeyboardInterrupt  # run() fails every held trial, this one included
        if isinstance(trial, str):
            self.full = trial in ("done", "full")
            return None, trial
        try:
            trial.set_user_attr("worker", self.worker.name)
            return loop._plan(trial, self.worker), "got"
        except BaseException as exc:
            loop._abandon(self.study, self.held.pop(trial.number), exc)
            raise

    def _refill(self, key: tuple) -> TrialPlan | None:
        """A new trial of shape `key` for a freed slot; others asked meanwhile are parked."""
        while not self.full and len(self.parked) < self.runner.capacity:
            plan, state = self._claim()
            if plan is None:
                if state == "again":
                    continue
                return None
            if shape_key(plan) == key:
                return plan
            self.parked.append(plan)
        return None

    def _monitor(self, number: int, epoch: int, value: float) -> bool:
        return loop.report(self.study, self.held.trials[number], value, epoch)

    def _finish(self, plan: TrialPlan, outcome: TrialOutcome) -> None:
        """Tell, then let go: a trial leaves `held` only once told, so an interrupt mid-tell fails it."""
        told = loop._tell(self.study, self.held.trials[plan.number], outcome)
        self.held.pop(plan.number)
        self.finished(told)
