"""Slices: is the error worse for some group of examples (a site, a device, an age band)?

Each slice — one value of a metadata column; numeric columns with many values cut into quartiles —
is compared with the rest of the split: gap = error(slice) − error(rest), an interval by MOVER from
the two intervals. All slices are tested at once, so every interval is widened by Bonferroni's
correction to hold simultaneously; a slice is significantly worse when its gap's lower end is above 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dldoctor import task as tasks
from dldoctor.stats import Estimate, bonferroni_widening, difference

CATEGORICAL_MAX = 20  # a numeric column with more distinct values is cut into quartiles
QUANTILES = 4
CORRECTION = "Bonferroni over all slices of all columns"


@dataclass(frozen=True)
class Slice:
    column: str
    value: str
    n: int
    error: Estimate
    rest: Estimate
    gap: Estimate  # error − rest, simultaneous interval
    worse: bool


@dataclass(frozen=True)
class Slices:
    """Every slice, worst gap first; `tests` is the number the correction divides by."""

    slices: tuple[Slice, ...]
    tests: int
    correction: str = CORRECTION

    @property
    def worst(self) -> Slice | None:
        return self.slices[0] if self.slices else None

    @property
    def worse(self) -> tuple[Slice, ...]:
        return tuple(s for s in self.slices if s.worse)


def slices(
    errors: np.ndarray, metadata: dict[str, np.ndarray], task: str, confidence: float = 0.95
) -> Slices:
    """Per-example `errors` of a split sliced by each metadata column."""
    groups = [
        (column, value, mask)
        for column, values in metadata.items()
        for value, mask in _groups(np.asarray(values))
        if 0 < mask.sum() < len(errors)
    ]
    widen = bonferroni_widening(confidence, len(groups))
    found = []
    for column, value, mask in groups:
        inside, rest = (
            tasks.get(task).error_estimate(errors[mask], confidence),
            tasks.get(task).error_estimate(errors[~mask], confidence),
        )
        gap = difference(inside, rest, widen)
        found.append(Slice(column, value, int(mask.sum()), inside, rest, gap, gap.low > 0))
    found.sort(key=lambda s: -s.gap.value)
    return Slices(tuple(found), len(groups))


def _groups(values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(label, mask) per slice: each distinct value, or quartiles of a many-valued numeric column."""
    distinct = np.unique(values)
    numeric = np.issubdtype(values.dtype, np.number) and not np.issubdtype(values.dtype, np.bool_)
    if not numeric or len(distinct) <= CATEGORICAL_MAX:
        return [(str(v), values == v) for v in distinct]
    edges = np.unique(np.quantile(values, np.linspace(0, 1, QUANTILES + 1)))
    cut = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return [
        (f"[{edges[b]:.4g}, {edges[b + 1]:.4g}{']' if b == len(edges) - 2 else ')'}", cut == b)
        for b in range(len(edges) - 1)
    ]
