"""Inputs of one set that also sit in another: exact copies, and near copies.

Exact: rows with identical bytes (a hash of each row). Near: a query row whose nearest reference
row, in the reference set's standardised input space (each feature's scale floored at the
median feature's), lies within r × the *typical*
nearest-neighbour distance m between reference rows (the median over a sample). Distinct examples
sit about m apart; a pair ten times closer (r = NEAR) is a re-scan, a crop or a re-encoding of
one item. In few dimensions distinct points come that close by chance — for locally uniform data
in d dimensions P(nearest < r·m) ≈ ln 2 · r^d — so r is also capped at (CHANCE / ln 2)^(1/d), which
keeps chance matches to about CHANCE of the queries.

The near search never holds a query × reference distance matrix whole (chunks, as in
neighbours.py), and runs in the reference's top PROJECTION principal directions first: an
orthogonal projection never lengthens a distance, so every pair within the radius survives that
cheap filter, and only the survivors are measured in full — the same answer as a full search,
several times faster in many dimensions.
"""

from __future__ import annotations

import math

import torch

from dldoctor.data import flat_features
from dldoctor.diagnosis.evidence import Duplicates
from dldoctor.inputs import Inputs
from dldoctor.neighbours import DISTANCE_BUDGET, nearest

NEAR = 0.1  # share of the typical nearest-neighbour distance below which two rows are one item
CHANCE = 1e-3  # ... lowered in few dimensions so that distinct rows match by chance at about this rate
TYPICAL_SAMPLE = 1000  # reference rows whose nearest neighbour sets the typical distance
MAX_PAIRS = 100  # pairs kept in the result (the counts cover all)
PROJECTION = 32  # principal directions of the candidate filter
BASIS_SAMPLE = 4000  # reference rows the directions are computed from
SLACK = 1e-5  # relative float32 rounding allowance in the filter (extra candidates are checked in full)
MAX_REFERENCE, MAX_QUERY = 100_000, 20_000  # rows `diagnose` compares (a random sample beyond)
NEARNESS_SAMPLE = 1000  # query rows whose nearest-reference distance is measured in full

__all__ = ["Duplicates", "find_duplicates"]


def find_duplicates(
    query: Inputs,
    reference: Inputs,
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
        close = {i: j for i, j in _within(q_std, r_std, radius).items() if i not in exact}
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


def nearest_distances(query: Inputs, reference: Inputs, seed: int = 0) -> torch.Tensor:
    """Distance from up to NEARNESS_SAMPLE query rows to their nearest reference row, in the reference's
    standardised space (as the near search measures): how close a split lies to the training set."""
    q, r = flat_features(query).cpu(), flat_features(reference).cpu()
    if not len(q) or not len(r):
        return torch.empty(0)
    r_std, q_std = _standardise(r, q)
    chosen = torch.randperm(len(q_std), generator=torch.Generator().manual_seed(seed))[:NEARNESS_SAMPLE]
    _, dist = nearest(q_std[chosen], r_std, k=1)
    return dist[:, 0].sqrt()


def _standardise(r: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre and scale by the reference's spread, floored at the median feature's: a pixel that is
    almost always blank must not turn a faint speck of noise into a large distance."""
    mean, std = r.mean(dim=0), r.std(dim=0)
    scale = std.clamp_min(max(float(std.median()), 1e-12))
    return (r - mean) / scale, (q - mean) / scale


def _within(q: torch.Tensor, r: torch.Tensor, radius: float) -> dict[int, int]:
    """Query index → its nearest reference index, for the query rows within `radius` of one."""
    if radius <= 0:
        return {}
    basis = _principal(r)
    q_low, r_low = q @ basis, r @ basis
    sq_q, sq_r = q_low.square().sum(dim=1), r_low.square().sum(dim=1)
    r_low_t = r_low.T.contiguous()
    rows = max(1, DISTANCE_BUDGET // len(r))
    found: dict[int, int] = {}
    best: dict[int, float] = {}
    # |a − b|² = |a|² − 2a·b + |b|²; the |a|² term and a float32 rounding allowance go into each row's bound
    bound = radius**2 + SLACK * (sq_q + sq_r.max()) - sq_q
    for start in range(0, len(q), rows):
        block = torch.addmm(sq_r[None, :], q_low[start : start + rows], r_low_t, alpha=-2.0)
        mask = block <= bound[start : start + rows, None]
        if not bool(mask.any()):
            continue
        qi, ri = torch.nonzero(mask, as_tuple=True)
        full = (q[start + qi] - r[ri]).square().sum(dim=1)
        keep = full <= radius**2
        for i, j, d in zip(qi[keep].tolist(), ri[keep].tolist(), full[keep].tolist(), strict=True):
            if d < best.get(start + i, math.inf):
                best[start + i], found[start + i] = d, j
    return found


def _principal(r: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis of the reference's top principal directions (all of them in few dimensions)."""
    if r.shape[1] <= PROJECTION:
        return torch.eye(r.shape[1])
    generator = torch.Generator().manual_seed(0)
    sample = r[torch.randperm(len(r), generator=generator)[:BASIS_SAMPLE]].double()
    _, vectors = torch.linalg.eigh(sample.T @ sample)  # ascending eigenvalues: the last are the top
    return vectors[:, -PROJECTION:].float().contiguous()


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
