"""Leave-one-out k-nearest neighbours for the Bayes-error estimate: dldoctor vs plain baselines.

dldoctor's chunked matmul-form search against (a) numpy's whole n×n distance matrix with
argpartition — what one writes first, and it needs n² floats — and (b) scikit-learn's
NearestNeighbors (default algorithm). Same points, same k ≈ sqrt(n), alternating, medians.

    python benchmarks/bayes_speed.py --n 10000 --d 64 --repeats 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from dldoctor.neighbours import neighbours


def numpy_full(x: np.ndarray, k: int) -> np.ndarray:
    sq = (x * x).sum(axis=1)
    dist = sq[:, None] - 2 * x @ x.T + sq[None, :]
    np.fill_diagonal(dist, np.inf)
    near = np.argpartition(dist, k, axis=1)[:, :k]
    order = np.take_along_axis(dist, near, axis=1).argsort(axis=1)
    return np.take_along_axis(near, order, axis=1)


def sklearn_knn(x: np.ndarray, k: int) -> np.ndarray:
    found = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)
    return found[:, 1:]


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    k = int(math.sqrt(args.n)) | 1
    x = np.random.default_rng(0).standard_normal((args.n, args.d)).astype(np.float32)
    xt = torch.from_numpy(x)
    ours = neighbours(xt, k)[0].numpy()
    agree = float((np.sort(ours, axis=1) == np.sort(numpy_full(x, k), axis=1)).mean())
    runs = {"dldoctor": [], "numpy full matrix": [], "sklearn NearestNeighbors": []}
    for _ in range(args.repeats):
        runs["dldoctor"].append(timed(lambda: neighbours(xt, k)))
        runs["numpy full matrix"].append(timed(lambda: numpy_full(x, k)))
        runs["sklearn NearestNeighbors"].append(timed(lambda: sklearn_knn(x, k)))
    medians = {name: statistics.median(t) for name, t in runs.items()}
    print(f"n={args.n} d={args.d} k={k} threads={torch.get_num_threads()} agreement={agree:.4f}")
    for name, seconds in medians.items():
        print(f"{name:26s} {seconds:7.3f} s")
    ours_s = medians["dldoctor"]
    print(
        f"ratio numpy/dldoctor {medians['numpy full matrix'] / ours_s:.2f}"
        f"  sklearn/dldoctor {medians['sklearn NearestNeighbors'] / ours_s:.2f}"
    )


if __name__ == "__main__":
    main()
