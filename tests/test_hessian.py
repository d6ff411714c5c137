"""Curvature by Hessian-vector products: exact on small models, right about saddles, eval-mode safe."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from dldoctor.diagnosis import CriticalPoint
from dldoctor.diagnosis.probes import critical_verdict
from dldoctor.hessian import critical_point, spectrum
from dldoctor.training import batch_loss


def exact_eigenvalues(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str) -> np.ndarray:
    """Form the whole Hessian with autograd (feasible only for tiny models) and diagonalise it."""
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(theta: torch.Tensor) -> torch.Tensor:
        parts, at = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            parts[name] = theta[at : at + shape.numel()].reshape(shape)
            at += shape.numel()
        return batch_loss(functional_call(model, parts, (x,)), y, task)

    model.eval()
    h = torch.autograd.functional.hessian(loss, flat)
    return np.linalg.eigvalsh(h.numpy())


def tiny_classifier(
    seed: int, extra: list[nn.Module] | None = None
) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), *(extra or []), nn.Tanh(), nn.Linear(5, 3)).double()
    x = torch.randn(60, 4, dtype=torch.float64)
    return model, x, torch.randint(0, 3, (60,))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_extreme_eigenvalues_match_the_exact_hessian(seed):
    model, x, y = tiny_classifier(seed)
    exact = exact_eigenvalues(model, x, y, "classification")
    cp = critical_point(model, x, y, "classification", seed=seed)
    assert exact[0] < 0 < exact[-1]  # an untrained net: curvature of both signs
    assert cp.lambda_max == pytest.approx(exact[-1], rel=1e-3)
    assert cp.lambda_min == pytest.approx(exact[0], rel=1e-3)


def test_regression_hessian_matches_too():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).double()
    x, y = torch.randn(50, 3, dtype=torch.float64), torch.randn(50, 2, dtype=torch.float64)
    exact = exact_eigenvalues(model, x, y, "regression")
    cp = critical_point(model, x, y, "regression")
    assert (cp.lambda_min, cp.lambda_max) == pytest.approx((exact[0], exact[-1]), rel=1e-3)


def test_the_origin_of_a_two_weight_linear_net_is_a_saddle():
    # loss(a, b) = mean((b·a·x − y)²): zero gradient at a = b = 0, Hessian [[0, −2m], [−2m, 0]], m = mean(xy).
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    x = torch.linspace(0.5, 1.5, 40, dtype=torch.float64).reshape(-1, 1)
    y = 2 * x
    cp = critical_point(model, x, y, "regression")
    m = float((x * y).mean())
    assert cp.grad_norm == pytest.approx(0.0, abs=1e-12)
    assert (cp.lambda_min, cp.lambda_max) == pytest.approx((-2 * m, 2 * m), rel=1e-6)
    assert cp.negative_share == pytest.approx(0.5, abs=0.01)
    assert critical_verdict(cp) == "saddle point"


def test_x2_minus_y2_is_a_saddle_and_x2_plus_y2_a_minimum():
    for diagonal, verdict in (((2.0, -2.0), "saddle point"), ((2.0, 2.0), "local minimum")):
        h = torch.diag(torch.tensor(diagonal))
        top, bottom, negative, _ = spectrum(lambda v, h=h: h @ v, torch.zeros(2))
        cp = CriticalPoint(1.0, 0.0, top, bottom, negative, 1, 2, 0.0)
        assert (bottom, top) == pytest.approx(sorted(diagonal))
        assert critical_verdict(cp) == verdict


def test_verdicts_for_a_slope_and_a_flat_region():
    assert critical_verdict(CriticalPoint(1.0, 5.0, 1.0, 0.5, 0.0, 1, 2, 0.0)) == "not a critical point"
    assert critical_verdict(CriticalPoint(1.0, 0.0, 1e-7, -1e-7, 0.5, 1, 2, 0.0)) == "flat region"


def test_batchnorm_and_dropout_models_get_the_eval_mode_curvature_and_keep_their_mode():
    model, x, y = tiny_classifier(4, [nn.BatchNorm1d(5), nn.Dropout(0.5)])
    model.train()
    model(x)  # give BatchNorm running statistics of its own
    exact = exact_eigenvalues(model, x, y, "classification")
    model.train()
    first = critical_point(model, x, y, "classification")
    second = critical_point(model, x, y, "classification")
    assert model.training and first == pytest.approx(first) and first.lambda_max == second.lambda_max
    assert (first.lambda_min, first.lambda_max) == pytest.approx((exact[0], exact[-1]), rel=1e-3)


def test_layernorm_models_work():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.ReLU(), nn.Linear(6, 3)).double()
    x, y = torch.randn(40, 4, dtype=torch.float64), torch.randint(0, 3, (40,))
    exact = exact_eigenvalues(model, x, y, "classification")
    cp = critical_point(model, x, y, "classification")
    assert cp.lambda_max == pytest.approx(exact[-1], rel=1e-3)


def test_the_time_budget_bounds_the_work():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = torch.randn(512, 64), torch.randint(0, 10, (512,))
    cp = critical_point(model, x, y, "classification", budget=0.0)
    assert cp.iterations <= 2 and np.isfinite(cp.lambda_max)
