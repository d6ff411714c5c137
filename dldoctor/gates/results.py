"""What a quality gate concludes: one result per rule, and the exit code they add up to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from dldoctor.gates.policy import CheckPolicy
from dldoctor.gates.regression import Comparison


class Status(str, Enum):
    """A rule's outcome, in increasing order of how much it blocks a merge."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    ERROR = "ERROR"


SEVERITY = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3}


@dataclass(frozen=True)
class RuleResult:
    """One named condition, how it came out, why (a sentence) and the numbers behind it."""

    rule: str
    status: Status
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleResult:
        return cls(data["rule"], Status(data["status"]), data["message"], data["numbers"])


@dataclass(frozen=True)
class GateReport:
    """All rule results of one `check`.

    Exit code: 1 when any rule FAILed or ERRORed (a rule that could not be evaluated must not let
    a regression through), or WARNed under `strict`; 0 otherwise — no rules at all is a pass.
    """

    results: tuple[RuleResult, ...]
    policy: CheckPolicy = field(default_factory=CheckPolicy)
    comparison: Comparison | None = None  # the delta table, when a baseline was given

    @property
    def strict(self) -> bool:
        return self.policy.strict

    @property
    def status(self) -> Status:
        return max((r.status for r in self.results), key=SEVERITY.__getitem__, default=Status.PASS)

    @property
    def exit_code(self) -> int:
        blocking = {Status.FAIL, Status.ERROR} | ({Status.WARN} if self.strict else set())
        return 1 if any(r.status in blocking for r in self.results) else 0

    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in Status}

    def to_dict(self) -> dict[str, Any]:
        """The `check` section of a check report (see schema-1.json)."""
        return {
            "status": self.status.value,
            "exit_code": self.exit_code,
            "strict": self.strict,
            "counts": self.counts(),
            "rules": [r.to_dict() for r in self.results],
            "policy": self.policy.to_dict(),
            "policy_source": self.policy.source,
            "baseline": None if self.comparison is None else self.comparison.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateReport:
        """A stored `check` section; its status, exit code and counts follow from the rules again."""
        baseline = data["baseline"]
        return cls(
            tuple(RuleResult.from_dict(r) for r in data["rules"]),
            CheckPolicy.from_dict(data["policy"], data["policy_source"]),
            None if baseline is None else Comparison.from_dict(baseline),
        )
