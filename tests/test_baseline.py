"""Easier models: a convex fit and a shallow MLP that the user's model is compared against."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import dldoctor as dd
from dldoctor.baseline import Skipped, TrainingSample, convex, linear_probe, recipe_baseline, shallow
from dldoctor.data import prepare

CPU = torch.device("cpu")


def linear_data(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).astype(int)


def sample_for(model: nn.Module, splits: dd.Splits, task: str) -> TrainingSample:
    return TrainingSample.draw(model, prepare(splits, task, CPU, 0), task, 0.95, 0)


def test_an_untrained_model_loses_to_logistic_regression():
    sample = sample_for(
        nn.Linear(5, 2), dd.Splits(train=linear_data(), dev=linear_data(50)), "classification"
    )
    result = convex(sample, linear_probe(sample, 2))
    assert result.name == "logistic regression" and result.kind == "convex"
    assert result.baseline_error < 0.05 and result.baseline_loss < result.model_loss
    assert result.difference.low > 0 and result.n == len(sample.y) == 750  # a quarter carved for train-dev


def test_linear_least_squares_finds_a_linear_target():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((800, 3)).astype(np.float32)
    y = (x @ np.array([1.0, 2.0, -1.0]) + 3.0).astype(np.float32)
    sample = sample_for(nn.Linear(3, 1), dd.Splits(train=(x, y), dev=(x[:10], y[:10])), "regression")
    result = convex(sample, linear_probe(sample, None))
    assert result.name == "linear least squares" and result.baseline_loss < 1e-3


def test_token_inputs_are_skipped():
    x = np.random.default_rng(0).integers(0, 9, size=(100, 4))
    y = np.zeros(100, dtype=int)
    model = nn.Sequential(nn.Embedding(9, 2), nn.Flatten(), nn.Linear(8, 2))
    sample = sample_for(model, dd.Splits(train=(x, y), dev=(x, y)), "classification")
    assert isinstance(convex(sample, linear_probe(sample, 2)), Skipped)


def xor_data(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)


def test_shallow_mlp_fits_what_a_linear_model_cannot_and_keeps_its_curve():
    wide = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 2))
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    sample = sample_for(wide, splits, "classification")
    recipe = dd.Recipe(name="xor", model=lambda: wide, data=lambda seed: splits, epochs=30, batch_size=32)
    net = shallow(sample, wide, recipe, 2, seed=0)
    assert net.kind == "shallow" and "units" in net.name and len(net.curve) == 30
    assert net.baseline_error < 0.1 < convex(sample, linear_probe(sample, 2)).baseline_error


def test_shallow_mlp_never_has_more_parameters_than_the_model():
    tiny = nn.Linear(2, 2)  # 6 parameters: no one-hidden-layer net fits in that budget
    sample = sample_for(tiny, dd.Splits(train=xor_data(), dev=xor_data(60)), "classification")
    recipe = dd.Recipe(name="tiny", model=lambda: tiny, data=lambda seed: None)
    assert isinstance(shallow(sample, tiny, recipe, 2, seed=0), Skipped)


def test_a_recipe_without_baseline_skips_the_recipe_baseline():
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    data = prepare(splits, "classification", CPU, 0)
    model = nn.Linear(2, 2)
    sample = TrainingSample.draw(model, data, "classification", 0.95, 0)
    recipe = dd.Recipe(name="plain", model=lambda: model, data=lambda seed: splits)
    assert isinstance(recipe_baseline(sample, recipe, data, CPU, 0), Skipped)
