"""Easier models: a convex fit and a shallower version of the user's own network."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

import dldoctor as dd
from dldoctor.baseline import Skipped, TrainingSample, convex, linear_probe, recipe_baseline, shallower
from dldoctor.data import prepare
from dldoctor.model_checks import inspect

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
    result = convex(sample, linear_probe(sample, 2), look(nn.Linear(5, 2), sample), 0.0)
    assert result.name == "logistic regression" and result.kind == "convex" and result.decisive
    assert result.baseline_error < 0.05 and result.baseline_loss < result.model_loss
    assert result.difference.low > 0 and result.n == len(sample.y) == 750  # a quarter carved for train-dev


def test_linear_least_squares_finds_a_linear_target():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((800, 3)).astype(np.float32)
    y = (x @ np.array([1.0, 2.0, -1.0]) + 3.0).astype(np.float32)
    sample = sample_for(nn.Linear(3, 1), dd.Splits(train=(x, y), dev=(x[:10], y[:10])), "regression")
    result = convex(sample, linear_probe(sample, None), None, 0.0)
    assert result.name == "linear least squares" and result.baseline_loss < 1e-3


def test_token_inputs_are_skipped():
    x = np.random.default_rng(0).integers(0, 9, size=(100, 4))
    y = np.zeros(100, dtype=int)
    model = nn.Sequential(nn.Embedding(9, 2), nn.Flatten(), nn.Linear(8, 2))
    sample = sample_for(model, dd.Splits(train=(x, y), dev=(x, y)), "classification")
    assert isinstance(convex(sample, linear_probe(sample, 2), None, 0.0), Skipped)


def xor_data(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)


def look(model: nn.Module, sample: TrainingSample):
    return inspect(model, sample.x, sample.y, sample.task, sample.outputs(2))


def mlp(*widths: int, dropout: float = 0.0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths[:-1]):
        layers += [nn.Linear(a, b), nn.ReLU(), *([nn.Dropout(dropout)] if dropout else [])]
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1]))


def test_a_linear_fit_decides_only_for_a_network_that_contains_it():
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    for model, decisive in [(nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 2)), True), (mlp(2, 8, 2), False)]:
        sample = sample_for(model, splits, "classification")
        assert convex(sample, linear_probe(sample, 2), look(model, sample), 0.0).decisive is decisive
    linear = nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 2))
    sample = sample_for(linear, splits, "classification")
    heavy = convex(sample, linear_probe(sample, 2), look(linear, sample), 0.1)
    assert not heavy.decisive and "regularised" in heavy.qualifies


def test_the_shallower_version_drops_hidden_blocks_keeps_regularisation_and_fits_xor():
    deep = mlp(2, 32, 32, 32, 2, dropout=0.1)
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    sample = sample_for(deep, splits, "classification")
    recipe = dd.Recipe(
        name="xor", model=lambda: deep, data=lambda seed: splits, epochs=30, batch_size=32, weight_decay=1e-3
    )
    net = shallower(sample, look(deep, sample), recipe, seed=0)
    assert net.kind == "shallower" and net.decisive and len(net.curve) >= 30
    assert "weight decay (0.001)" in net.qualifies and "dropout" in net.qualifies
    assert (
        net.baseline_error
        < 0.1
        < convex(sample, linear_probe(sample, 2), look(deep, sample), 0).baseline_error
    )


def test_no_shallower_version_through_a_bottleneck_or_of_a_single_hidden_block():
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    recipe = dd.Recipe(name="xor", model=lambda: None, data=lambda seed: splits, epochs=2)
    for model in (mlp(2, 32, 2, 32, 2), mlp(2, 32, 2)):
        sample = sample_for(model, splits, "classification")
        assert isinstance(shallower(sample, look(model, sample), recipe, seed=0), Skipped)


def test_a_recipe_without_baseline_skips_the_recipe_baseline():
    splits = dd.Splits(train=xor_data(), dev=xor_data(60))
    data = prepare(splits, "classification", CPU, 0)
    model = nn.Linear(2, 2)
    sample = TrainingSample.draw(model, data, "classification", 0.95, 0)
    recipe = dd.Recipe(name="plain", model=lambda: model, data=lambda seed: splits)
    assert isinstance(recipe_baseline(sample, recipe, data, CPU, 0), Skipped)
