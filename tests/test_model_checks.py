"""Static checks of the model: structural faults that cap what it can fit, from one forward pass."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dldoctor.model_checks import inspect

X = torch.randn(32, 8, generator=torch.Generator().manual_seed(0))
LABELS = torch.arange(32) % 4


def fired(model: nn.Module, task: str = "classification", y: torch.Tensor = LABELS, outputs: int = 4) -> dict:
    return {c.check: c for c in inspect(model, X, y, task, outputs).checks}


def test_a_sound_mlp_passes_every_check_and_is_a_chain():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    found = inspect(model, X, LABELS, "classification", 4)
    assert found.checks == () and found.chain is not None and not found.linear and found.narrowest == 16


def test_linear_layers_with_nothing_between_them_collapse():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Linear(16, 4))
    check = fired(model)["linear_stack"]
    assert check.capacity and check.numbers["pairs"] == [["2", "3"]]


def test_a_network_without_any_nonlinearity_is_one_linear_map():
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.Dropout(0.1), nn.Linear(16, 4))
    assert "linear_network" in fired(model)
    assert inspect(model, X, LABELS, "classification", 4).linear


class FunctionalRelu(nn.Module):
    """An activation applied in forward() has no module, but the data shows it is there."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(F.relu(self.a(x)))


def test_an_activation_in_forward_is_not_mistaken_for_a_missing_one():
    assert fired(FunctionalRelu()) == {}
    assert not inspect(FunctionalRelu(), X, LABELS, "classification", 4).linear


def test_a_hidden_layer_narrower_than_the_classes_is_a_bottleneck():
    narrow = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2), nn.ReLU(), nn.Linear(2, 10))
    check = fired(narrow, outputs=10)["bottleneck"]
    assert check.numbers == {"width": 2, "classes": 10} and "Widen" in check.remedy
    wide_enough = nn.Sequential(nn.Linear(8, 9), nn.ReLU(), nn.Linear(9, 10))
    assert "bottleneck" not in fired(wide_enough, outputs=10)


@pytest.mark.parametrize(("last", "kind"), [(nn.Softmax(dim=1), "softmax"), (nn.Sigmoid(), "sigmoid")])
def test_a_squashed_output_fed_to_cross_entropy_caps_the_loss(last, kind):
    check = fired(nn.Sequential(nn.Linear(8, 4), last))["output_squashed"]
    assert check.numbers["activation"] == kind and check.setup and not check.capacity  # argmax unchanged
    assert check.numbers["min_loss"] == pytest.approx(-math.log(math.e / (math.e + 3)))


def test_a_log_softmax_output_is_harmless_and_only_noted():
    check = fired(nn.Sequential(nn.Linear(8, 4), nn.LogSoftmax(dim=1)))["output_log_softmax"]
    assert not check.capacity


def test_an_output_activation_that_cannot_reach_the_regression_targets():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    far = torch.linspace(-3, 3, 32)
    check = fired(model, "regression", far, 1)["output_range"]
    assert check.numbers["outside_share"] == pytest.approx(float(((far < 0) | (far > 1)).float().mean()))
    assert check.capacity
    assert fired(model, "regression", torch.linspace(0.1, 0.9, 32), 1) == {}


class Squeeze(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.squeeze(1)


def test_a_squashing_output_is_found_behind_a_squeeze():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid(), Squeeze())
    assert fired(model, "regression", torch.linspace(-3, 3, 32), 1)["output_range"].capacity


def test_logits_clamped_at_zero_by_a_relu_starve_the_optimiser():
    head = nn.Linear(8, 4)
    with torch.no_grad():
        head.weight.mul_(20)
    check = fired(nn.Sequential(head, nn.ReLU()))["output_clamped"]
    assert check.setup and not check.capacity and check.numbers["zero_share"] > 0.1
    assert "output_clamped" not in fired(nn.Sequential(head))


IMAGES = torch.randn(16, 2, 6, 6, generator=torch.Generator().manual_seed(0))


def images_fired(model: nn.Module) -> dict:
    return {c.check: c for c in inspect(model, IMAGES, torch.arange(16) % 3, "classification", 3).checks}


def pooled(kernel: int) -> nn.Sequential:
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 8, kernel, padding=kernel // 2)
    return nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))


def test_pointwise_features_pooled_globally_cannot_see_where_anything_is():
    check = images_fired(pooled(1))["position_blind"]
    assert check.capacity and check.numbers["positions"] == 36


def test_a_convolution_wider_than_one_pixel_sees_the_arrangement():
    assert "position_blind" not in images_fired(pooled(3))
    flat = nn.Sequential(nn.Flatten(), nn.Linear(72, 3))
    assert "position_blind" not in images_fired(flat)
