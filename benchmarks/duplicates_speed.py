"""Train/dev duplicate search (exact and near) at 100 000 × 256: dldoctor vs a plain baseline.

dldoctor: a hash of each row for exact copies, then the chunked matmul-form nearest-neighbour
search (neighbours.nearest) for near copies. Baseline: a Python set of row tuples, and
scikit-learn's brute-force NearestNeighbors for the nearest reference row. Same data, planted
duplicates, same answers checked; times in one run, so machine load cancels out in the ratio.

    python benchmarks/duplicates_speed.py --n 100000 --d 256 --query-share 0.2 --threads 1

Both sides get the same thread count (torch's, and the BLAS pool scikit-learn uses): on a
machine shared by many processes, more threads than free cores makes both crawl.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from dldoctor.duplicates import _standardise, find_duplicates


def planted(n: int, d: int, share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference and query rows; 1 % of the query copied from the reference, 1 % copied with noise."""
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((n, d)).astype(np.float32)
    n_query = int(share * n)
    reference, query = rows[n_query:], rows[:n_query].copy()
    copies = n_query // 100
    query[:copies] = reference[:copies]
    query[copies : 2 * copies] = reference[copies : 2 * copies] + 0.01 * rng.standard_normal((copies, d))
    return reference, query, copies


def baseline(reference: np.ndarray, query: np.ndarray, radius: float) -> tuple[int, int]:
    """Row tuples in a set, then scikit-learn's brute-force nearest neighbour on the same scaling."""
    seen = {tuple(row) for row in reference}
    exact = {i for i, row in enumerate(query) if tuple(row) in seen}
    r, q = (t.numpy() for t in _standardise(torch.from_numpy(reference), torch.from_numpy(query)))
    dist, _ = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(r).kneighbors(q)
    near = {i for i in np.flatnonzero(dist[:, 0] <= radius) if i not in exact}
    return len(exact), len(near)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--query-share", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        run(args)


def run(args: argparse.Namespace) -> None:
    reference, query, copies = planted(args.n, args.d, args.query_share)
    started = time.perf_counter()
    ours = find_duplicates(torch.from_numpy(query), torch.from_numpy(reference), "dev", "train")
    mine = time.perf_counter() - started
    started = time.perf_counter()
    theirs = baseline(reference, query, ours.radius)
    plain = time.perf_counter() - started
    print(
        f"{len(reference):,} reference × {len(query):,} query rows, {args.d} features, torch threads"
        f" {torch.get_num_threads()}; planted {copies} exact and {copies} near duplicates"
    )
    print(f"dldoctor: {ours.exact} exact, {ours.near} near in {mine:.1f} s")
    print(
        f"baseline (set of tuples + sklearn brute NearestNeighbors): {theirs[0]} exact, {theirs[1]} near in"
        f" {plain:.1f} s"
    )
    print(f"ratio baseline / dldoctor: {plain / mine:.2f}×; same counts: {(ours.exact, ours.near) == theirs}")


if __name__ == "__main__":
    main()
