"""Run probes in order; a probe that raises is recorded, never fatal to the diagnosis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dldoctor import task as tasks
from dldoctor.baseline import Skipped
from dldoctor.diagnosis import Evidence
from dldoctor.probes._base import Probe, RunContext
from dldoctor.report.model import ProbeSection


@dataclass(frozen=True)
class ProbeRun:
    """What the probes found: the evidence they completed, each result, and what did not run or failed."""

    evidence: Evidence
    results: dict[str, object] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # probe -> why it did not run
    failures: dict[str, str] = field(default_factory=dict)  # probe -> the error it raised
    sections: dict[str, ProbeSection] = field(default_factory=dict)  # probe -> its own report section


def run_probes(probes: Sequence[Probe], ctx: RunContext, evidence: Evidence) -> ProbeRun:
    """Each probe sees the evidence of those before it, so a follow-up can decide whether it is wanted."""
    results: dict[str, object] = {}
    skipped: dict[str, str] = {}
    failures: dict[str, str] = {}
    sections: dict[str, ProbeSection] = {}
    task = tasks.get(evidence.task)
    for probe in probes:
        reason = task.skip_reason(probe.name) or probe.wanted(ctx, evidence)
        if reason is None:
            try:
                result = probe.run(ctx, evidence)
                shown = None if isinstance(result, Skipped) else probe.section(ctx, result)
            except Exception as exc:  # a probe's own failure must not take the diagnosis down
                failures[probe.name] = describe(exc)
                continue
            if not isinstance(result, Skipped):
                results[probe.name] = result
                evidence = probe.add(evidence, result)
                if shown is not None:
                    sections[probe.name] = shown
                continue
            reason = result.reason
        skipped[probe.name] = reason
    return ProbeRun(evidence, results, skipped, failures, sections)


def describe(exc: BaseException) -> str:
    """One line: the exception's type and the first line of its message."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
