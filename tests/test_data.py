"""Preparing splits: validation, carving train-dev, and batching by index on the device."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

import dldoctor as dd
from dldoctor.data import DatasetSplit, TensorSplit, carve_train_dev, prepare
from dldoctor.errors import DataError

CPU = torch.device("cpu")


def arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 2, n)


def test_in_memory_splits_become_tensors_and_train_dev_is_carved():
    data = prepare(dd.Splits(train=arrays(2000), dev=arrays(100)), "classification", CPU, seed=0)
    assert isinstance(data.train, TensorSplit) and data.train_dev_carved
    assert len(data.train_dev) == 500 and len(data.train) == 1500
    assert data.train.y.dtype == torch.long and data.train.x.dtype == torch.float32
    assert list(data.named()) == ["train", "train_dev", "dev"]


@pytest.mark.parametrize(("n", "expected"), [(100, 25), (2000, 500), (40_000, 4000), (500_000, 10_000)])
def test_carved_train_dev_size(n, expected):
    split = TensorSplit("train", torch.zeros(n, 1), torch.zeros(n, dtype=torch.long))
    train, train_dev = carve_train_dev(split, seed=0)
    assert len(train_dev) == expected and len(train) == n - expected


def test_carving_is_seeded_and_disjoint():
    x = torch.arange(1000.0).reshape(-1, 1)
    split = TensorSplit("train", x, torch.zeros(1000, dtype=torch.long))
    train_a, dev_a = carve_train_dev(split, seed=3)
    _, dev_b = carve_train_dev(split, seed=3)
    assert torch.equal(dev_a.x, dev_b.x)
    assert not set(train_a.x[:, 0].tolist()) & set(dev_a.x[:, 0].tolist())


def test_shuffled_batches_visit_every_example_once():
    split = TensorSplit("train", torch.arange(103.0).reshape(-1, 1), torch.arange(103))
    seen = [y for _, ys in split.batches(10, torch.Generator().manual_seed(0)) for y in ys.tolist()]
    assert sorted(seen) == list(range(103)) and seen != list(range(103))


def test_dataset_splits_stream_and_can_be_carved():
    x, y = arrays(600)
    data = prepare(
        dd.Splits(train=TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), dev=arrays(50)),
        "classification",
        CPU,
        seed=0,
    )
    assert isinstance(data.train, DatasetSplit) and len(data.train_dev) == 150
    batches = list(data.train.batches(64, torch.Generator().manual_seed(0)))
    assert sum(len(b[1]) for b in batches) == 450 and batches[0][1].dtype == torch.long


def test_integral_float_labels_and_column_labels_are_accepted():
    x, y = arrays(100)
    data = prepare(dd.Splits(train=(x, y.astype(float)[:, None]), dev=(x, y)), "classification", CPU, 0)
    assert data.train.y.shape == (75,) and data.train.y.dtype == torch.long


def test_splits_must_agree_on_input_shape():
    x, y = arrays(100)
    with pytest.raises(DataError, match="disagree on the shape"):
        prepare(dd.Splits(train=(x, y), dev=(x[:, :2], y)), "classification", CPU, 0)


def test_missing_required_split():
    with pytest.raises(DataError, match="split 'dev' is missing"):
        prepare(dd.Splits(train=arrays(100), dev=None), "classification", CPU, 0)


def test_a_dataset_must_yield_pairs():
    with pytest.raises(DataError, match="must yield \\(x, y\\) pairs"):
        prepare(dd.Splits(train=TensorDataset(torch.zeros(10, 2)), dev=arrays(10)), "classification", CPU, 0)
