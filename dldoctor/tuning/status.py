"""How a trial stands: the statuses a runner reports and the live view and tables show."""

from __future__ import annotations

from enum import Enum


class TrialStatus(str, Enum):
    """complete, pruned and diverged trials count toward the budget; a failed one is redone."""

    COMPLETE = "complete"
    PRUNED = "pruned"
    DIVERGED = "diverged"  # stopped at once: its training loss blew up or its dev metric is not finite
    FAILED = "failed"
    RUNNING = "running"
    WAITING = "waiting"

    def __str__(self) -> str:
        return self.value
