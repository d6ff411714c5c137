"""The easier-model test: a convex fit that the user's model is compared against."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import dldoctor as dd
from dldoctor.baseline import Skipped, easier_model_test
from dldoctor.data import prepare

CPU = torch.device("cpu")


def linear_data(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).astype(int)


def test_an_untrained_model_loses_to_logistic_regression():
    data = prepare(dd.Splits(train=linear_data(), dev=linear_data(50)), "classification", CPU, 0)
    result = easier_model_test(nn.Linear(5, 2), data, "classification", 2)
    assert result.name == "logistic regression"
    assert result.baseline_error < 0.05 and result.baseline_loss < result.model_loss
    assert result.difference.low > 0 and result.n == len(data.train)


def test_linear_least_squares_finds_a_linear_target():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((800, 3)).astype(np.float32)
    y = (x @ np.array([1.0, 2.0, -1.0]) + 3.0).astype(np.float32)
    data = prepare(dd.Splits(train=(x, y), dev=(x[:10], y[:10])), "regression", CPU, 0)
    result = easier_model_test(nn.Linear(3, 1), data, "regression", None)
    assert result.name == "linear least squares" and result.baseline_loss < 1e-3


def test_token_inputs_are_skipped():
    x = np.random.default_rng(0).integers(0, 9, size=(100, 4))
    y = np.zeros(100, dtype=int)
    data = prepare(dd.Splits(train=(x, y), dev=(x, y)), "classification", CPU, 0)
    model = nn.Sequential(nn.Embedding(9, 2), nn.Flatten(), nn.Linear(8, 2))
    assert isinstance(easier_model_test(model, data, "classification", 2), Skipped)
