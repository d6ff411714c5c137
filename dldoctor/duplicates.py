"""Inputs of one set that also sit in another: exact copies, and near copies.

Exact: rows with identical bytes (a hash of each row). Near: a query row whose nearest reference
row, in the reference set's standardised input space (each feature's scale floored at the
median feature's), lies within r × the *typical*
nearest-neighbour distance m between reference rows (the median over a sample). Distinct examples
sit about m apart; a pair ten times closer (r = NEAR) is a re-scan, a crop or a re-encoding of
one item. In few dimensions distinct points come that close by chance — for locally uniform data
in d dimensions P(nearest < r·m) ≈ ln 2 · r^d — so r is also capped at (CHANCE / ln 2)^(1/d), which
keeps chance matches to about CHANCE of the queries. The search is chunked (see neighbours.py):
no query × reference distance matrix is ever held whole.
"""

from __future__ import annotations

import math

import torch

from dldoctor.data import flat_features
from dldoctor.diagnosis.evidence import Duplicates
from dldoctor.neighbours import nearest

NEAR = 0.1  # share of the typical nearest-neighbour distance below which two rows are one item
CHANCE = 1e-3  # ... lowered in few dimensions so that distinct rows match by chance at about this rate
TYPICAL_SAMPLE = 1000  # reference rows whose nearest neighbour sets the typical distance
MAX_PAIRS = 100  # pairs kept in the result (the counts cover all)
MAX_REFERENCE, MAX_QUERY = 100_000, 20_000  # rows `diagnose` compares (a random sample beyond)

__all__ = ["Duplicates", "find_duplicates"]


def find_duplicates(
    query: torch.Tensor,
    reference: torch.Tensor,
    query_name: str = "query",
    reference_name: str = "reference",
    near: float = NEAR,
    seed: int = 0,
) -> Duplicates:
    """Count (and sample the pairs of) query rows equal or near-equal to some reference row."""
    q, r = flat_features(query).cpu(), flat_features(reference).cpu()
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"query rows have {q.shape[1]} features and reference rows {r.shape[1]}")
    exact = _exact(q, r)
    close: dict[int, int] = {}
    typical = radius = 0.0
    if len(q) and len(r) > 1:
        r_std, q_std = _standardise(r, q)
        typical = _typical(r_std, seed)
        radius = min(near, (CHANCE / math.log(2)) ** (1 / max(1, r_std.shape[1]))) * typical
        found, dist = nearest(q_std, r_std)
        hits = torch.nonzero(dist[:, 0] <= radius**2).flatten().tolist() if radius > 0 else []
        close = {i: int(found[i, 0]) for i in hits if i not in exact}
    pairs = sorted({**close, **exact}.items())[:MAX_PAIRS]
    return Duplicates(
        query=query_name,
        reference=reference_name,
        n_query=len(q),
        n_reference=len(r),
        exact=len(exact),
        near=len(close),
        radius=radius,
        typical=typical,
        pairs=tuple(pairs),
    )


def _standardise(r: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre and scale by the reference's spread, floored at the median feature's: a pixel that is
    almost always blank must not turn a faint speck of noise into a large distance."""
    mean, std = r.mean(dim=0), r.std(dim=0)
    scale = std.clamp_min(max(float(std.median()), 1e-12))
    return (r - mean) / scale, (q - mean) / scale


def _exact(q: torch.Tensor, r: torch.Tensor) -> dict[int, int]:
    """Query index → a reference index with byte-identical row."""
    seen = {row.tobytes(): i for i, row in enumerate(r.numpy())}
    return {i: seen[key] for i, row in enumerate(q.numpy()) if (key := row.tobytes()) in seen}


def _typical(r: torch.Tensor, seed: int) -> float:
    """Median distance from a sample of reference rows to their nearest *other* reference row."""
    if len(r) < 2 or r.shape[1] == 0:
        return 0.0
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(r), generator=generator)[:TYPICAL_SAMPLE]
    _, dist = nearest(r[chosen], r, k=2)
    return float(dist[:, 1].sqrt().median())
