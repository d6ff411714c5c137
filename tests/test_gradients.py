"""Gradient and activation health: the monitor's numbers on nets built to be broken one way."""

from __future__ import annotations

import torch
from test_training import CPU, recipe
from torch import nn

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.gradients import GradientMonitor, NonFiniteLocator, activation_health
from dldoctor.training import build_model, fit


def monitored(r: dd.Recipe) -> tuple[nn.Module, GradientMonitor]:
    data = prepare(r.data(0), r.task, CPU, 0)
    model = build_model(r, 0, CPU)
    monitor = GradientMonitor(model, total_steps=r.epochs * 13, samples=12)
    fit(model, data, r, seed=0, monitor=monitor)
    return model, monitor


def deep(activation: type[nn.Module], depth: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(4, 32), activation()]
    for _ in range(depth):
        layers += [nn.Linear(32, 32), activation()]
    return nn.Sequential(*layers, nn.Linear(32, 3))


def test_gradients_vanish_through_a_deep_sigmoid_stack_but_not_a_shallow_relu_net():
    _, sigmoid = monitored(recipe(model=lambda: deep(nn.Sigmoid, 8), optimizer="sgd", beta=0.0, epochs=1))
    _, relu = monitored(recipe(epochs=1))
    vanishing, healthy = sigmoid.summary(), relu.summary()
    assert vanishing.first_last_ratio < 1e-3 < healthy.first_last_ratio
    assert vanishing.samples >= 10 and [layer.name for layer in healthy.layers] == ["0", "2"]


def test_update_ratio_tracks_the_learning_rate():
    _, slow = monitored(recipe(optimizer="sgd", lr=1e-6, epochs=1))
    _, fast = monitored(recipe(optimizer="sgd", lr=1e-1, epochs=1))
    assert slow.summary().update_ratio < 1e-5 < fast.summary().update_ratio


def test_first_and_last_follow_execution_order_not_definition_order():
    class Backwards(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Linear(16, 3)  # defined first, runs last
            self.body = nn.Linear(4, 16)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(torch.relu(self.body(x)))

    _, monitor = monitored(recipe(model=Backwards, epochs=1))
    assert [layer.name for layer in monitor.summary().layers] == ["body", "head"]


def test_units_that_never_fire_are_counted_dead():
    net = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 3))
    with torch.no_grad():
        net[0].bias[:7] = -100.0  # 7 of 10 units can never turn on for these inputs
    dead, saturated = activation_health(net, torch.randn(256, 4))
    assert dead == 0.7 and saturated is None


def test_tanh_inputs_far_in_the_tails_count_as_saturated():
    net = nn.Sequential(nn.Linear(4, 10), nn.Tanh(), nn.Linear(10, 3))
    with torch.no_grad():
        net[0].weight.mul_(100.0)
    dead, saturated = activation_health(net, torch.randn(256, 4))
    assert dead is None and saturated > 0.9


def test_the_replay_names_the_layer_where_infinity_first_appeared():
    class Overflows(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(4, 8)
            self.second = nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.second(torch.exp(50 * self.first(x)))

    r = recipe(model=Overflows, optimizer="sgd", lr=1.0, epochs=1)
    data = prepare(r.data(0), r.task, CPU, 0)
    history = fit(build_model(r, 0, CPU), data, r, seed=0)
    assert history.nonfinite_step is not None
    replay = build_model(r, 0, CPU)
    locator = NonFiniteLocator(replay, history.nonfinite_step)
    fit(replay, data, r, seed=0, monitor=locator)
    assert locator.origin is not None and "second" in locator.origin


def test_clip_norm_comes_from_the_healthy_steps_only():
    _, healthy = monitored(recipe(epochs=2))
    assert healthy.summary().clip_norm > 0
    _, broken = monitored(recipe(optimizer="sgd", lr=30.0, epochs=2))
    assert broken.summary().clip_norm is None  # blew up at once: no healthy steps to read
