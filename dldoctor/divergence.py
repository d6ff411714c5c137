"""When a training loss counts as blown up: one yardstick for the verdict's optimisation-failure rule
and for the tuner, which stops a diverging trial at once."""

from __future__ import annotations

import math

EXPLOSION = 10.0  # epoch loss over initial loss that counts as blown up


def diverged(loss: float, start: float) -> str | None:
    """Why an epoch's training loss counts as diverged: non-finite, or blown far past its start."""
    if not math.isfinite(loss):
        return "training loss became non-finite"
    if math.isfinite(start) and start > 0 and loss > EXPLOSION * start:
        return f"training loss {loss:.3g} exploded past {EXPLOSION:g}× its initial {start:.3g}"
    return None
