"""Exact and near duplicates between a reference set (train) and a query set (dev/test)."""

from __future__ import annotations

import pytest
import torch
from sklearn.datasets import load_digits

from dldoctor.duplicates import find_duplicates
from dldoctor.neighbours import nearest


def digits(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Clean digits shuffled into 1,297 train and 500 dev images (8×8, in [0, 1])."""
    x, _ = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[order[:1297]], x[order[1297:]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_digits_have_no_duplicates_between_train_and_dev(seed):
    train, dev = digits(seed)
    found = find_duplicates(dev, train, "dev", "train")
    assert (found.exact, found.near, found.pairs) == (0, 0, ())
    assert found.n_query == 500 and found.n_reference == 1297 and found.radius < found.typical


def test_planted_exact_and_near_duplicates_are_found_with_their_pairs():
    train, dev = digits(0)
    generator = torch.Generator().manual_seed(1)
    copied = torch.arange(10)
    rescanned = torch.arange(10, 20)
    noisy = train[rescanned] + 0.01 * torch.randn(train[rescanned].shape, generator=generator)
    query = torch.cat([dev[:100], train[copied], noisy])
    found = find_duplicates(query, train, "dev", "train")
    assert (found.exact, found.near) == (10, 10) and found.share == pytest.approx(20 / 120)
    assert set(found.pairs) == {(100 + i, i) for i in range(20)}


def test_nearest_matches_a_brute_force_search_in_small_chunks():
    generator = torch.Generator().manual_seed(0)
    query, reference = torch.randn(70, 5, generator=generator), torch.randn(200, 5, generator=generator)
    index, squared = nearest(query, reference, k=2, budget=300)  # one query row per chunk
    brute = torch.cdist(query, reference).square().topk(2, dim=1, largest=False)
    assert torch.equal(index, brute.indices)
    assert torch.allclose(squared, brute.values, atol=1e-4)


def test_rows_of_different_widths_are_refused():
    with pytest.raises(ValueError, match="features"):
        find_duplicates(torch.zeros(3, 4), torch.zeros(5, 6))
