"""Is dev drawn from the training distribution? A two-sample test on what the model sees.

The data-mismatch gap (dev − train-dev error) is the primary signal; this test corroborates it.
It compares the trained model's penultimate-layer embedding (or its outputs when it has no
Linear head) of train-dev and dev with the maximum mean discrepancy (MMD): an RBF kernel whose
bandwidth is the median pairwise distance, and a permutation p-value, which is exact whatever the
distributions — so on same-distribution data it rejects at most a share α of the time.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dldoctor.bayes.representations import forward_features
from dldoctor.data import Data, standardise
from dldoctor.diagnosis.evidence import MismatchTest

MAX_POINTS = 1000  # per side: the kernel matrix is (2·MAX_POINTS)² floats
PERMUTATIONS = 500


def mismatch_test(
    model: nn.Module,
    data: Data,
    seed: int = 0,
    permutations: int = PERMUTATIONS,
    max_points: int = MAX_POINTS,
) -> MismatchTest:
    """MMD between the model's view of train-dev and of dev."""
    x_held, _ = data.train_dev.sample(max_points, seed)
    x_dev, _ = data.dev.sample(max_points, seed)
    held_embedding, held_out = forward_features(model, x_held)
    dev_embedding, dev_out = forward_features(model, x_dev)
    if held_embedding is not None and dev_embedding is not None:
        a, b, representation = held_embedding, dev_embedding, "embedding"
    else:
        a, b, representation = held_out, dev_out, "outputs"
    return mmd_test(a, b, permutations, seed, representation)


def mmd_test(
    a: torch.Tensor,
    b: torch.Tensor,
    permutations: int = PERMUTATIONS,
    seed: int = 0,
    representation: str = "",
) -> MismatchTest:
    """Permutation test of MMD² (the biased V-statistic) with an RBF kernel, median-heuristic bandwidth.

    Features are standardised on the pooled sample first, so no one feature's units dominate.
    """
    n_a, n_b = len(a), len(b)
    (pooled,) = standardise(torch.cat([a, b]).double().cpu())
    if pooled.shape[1] == 0:  # every feature constant on both sides: nothing can differ
        return MismatchTest(0.0, 1.0, 0.0, n_a, n_b, permutations, 0.0, representation)
    squared = torch.cdist(pooled, pooled).square()
    off_diagonal = squared[~torch.eye(len(pooled), dtype=torch.bool)]
    bandwidth = float(off_diagonal.median().sqrt()) or 1.0
    kernel = torch.exp(-squared / (2 * bandwidth**2))
    generator = torch.Generator().manual_seed(seed)
    signs = torch.empty(permutations + 1, n_a + n_b, dtype=torch.float64)
    signs[0, :n_a], signs[0, n_a:] = 1 / n_a, -1 / n_b
    for i in range(1, permutations + 1):
        signs[i] = signs[0][torch.randperm(n_a + n_b, generator=generator)]
    statistics = ((signs @ kernel) * signs).sum(dim=1)  # wᵀKw = MMD² for each labelling w
    observed = float(statistics[0])
    exceed = int((statistics[1:] >= observed - 1e-12).sum())
    return MismatchTest(
        mmd2=observed,
        p_value=(1 + exceed) / (1 + permutations),
        mmd=math.sqrt(max(observed, 0.0)),
        n_train_dev=n_a,
        n_dev=n_b,
        permutations=permutations,
        bandwidth=bandwidth,
        representation=representation,
    )
