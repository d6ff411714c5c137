"""Curvature of the training loss without forming the Hessian.

Hessian-vector products come from double backpropagation; Lanczos turns a few dozen of them into
the extreme eigenvalues (λmax, λmin); stochastic Lanczos quadrature — the same runs from random
starts, read as quadrature rules — estimates how much of the spectrum is negative. At a critical
point (gradient ≈ 0) the signs decide: all ≥ 0 is a local minimum, some clearly < 0 a saddle.
The model is evaluated in eval mode, so BatchNorm, LayerNorm and Dropout models get the curvature
of the deterministic loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from dldoctor.diagnosis.evidence import CriticalPoint
from dldoctor.inputs import Inputs, forward
from dldoctor.training import LossFn, batch_loss

EXAMPLES = 512
ITERATIONS = 24
STARTS = 3
BUDGET_SECONDS = 10.0
REORTHOGONALISE_FLOATS = 25_000_000  # keep every Lanczos vector while they fit in ~100 MB
NEGATIVE_TOLERANCE = 1e-3  # relative to the spectral radius: smaller magnitudes count as zero

MatVec = Callable[[torch.Tensor], torch.Tensor]


def hessian_vector_product(
    model: nn.Module, x: Inputs, y: torch.Tensor, task: str, loss_fn: LossFn | None = None
) -> tuple[MatVec, torch.Tensor, float]:
    """(v ↦ Hv, gradient, loss) of the mean loss (the recipe's, else the task's) on (x, y) w.r.t. the
    trainable parameters, in fp32 whatever the training precision: curvature needs the precision."""
    params = [p for p in model.parameters() if p.requires_grad]
    loss = batch_loss(forward(model, x), y, task, loss_fn)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])

    def hvp(v: torch.Tensor) -> torch.Tensor:
        parts = torch.autograd.grad(flat, params, grad_outputs=v, retain_graph=True)
        return torch.cat([p.reshape(-1) for p in parts]).detach()

    return hvp, flat.detach(), float(loss.detach())


def lanczos(
    matvec: MatVec, start: torch.Tensor, steps: int, deadline: float = math.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Tridiagonal coefficients (alphas, betas) of `steps` Lanczos iterations from `start`.

    Keeps and reorthogonalises against every earlier vector when they fit in memory, so the Ritz
    values are exact once `steps` reaches the dimension.
    """
    keep = start.numel() * steps <= REORTHOGONALISE_FLOATS
    basis: list[torch.Tensor] = []
    q = start / torch.linalg.vector_norm(start)
    previous, beta = torch.zeros_like(q), 0.0
    alphas, betas = [], []
    for _ in range(steps):
        if keep:
            basis.append(q)
        w = matvec(q) - beta * previous
        alpha = float(torch.dot(w, q))
        w = w - alpha * q
        if keep:
            stacked = torch.stack(basis)
            for _ in range(2):  # twice is enough (Kahan–Parlett)
                w = w - stacked.T @ (stacked @ w)
        alphas.append(alpha)
        beta = float(torch.linalg.vector_norm(w))
        if beta <= 1e-10 * max(1.0, abs(alpha)) or time.perf_counter() > deadline:
            break
        betas.append(beta)
        previous, q = q, w / beta
    return np.array(alphas), np.array(betas[: len(alphas) - 1])


def ritz(alphas: np.ndarray, betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the tridiagonal matrix and their quadrature weights (first components²)."""
    t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    values, vectors = np.linalg.eigh(t)
    return values, vectors[0] ** 2


def spectrum(
    matvec: MatVec,
    like: torch.Tensor,
    *,
    starts: int = STARTS,
    steps: int = ITERATIONS,
    seed: int = 0,
    budget: float = BUDGET_SECONDS,
) -> tuple[float, float, float, int]:
    """(λmax, λmin, share of the spectrum below −tolerance, iterations) from `starts` random starts.

    `like` is a vector of the parameter space (the gradient): starts take its size, dtype and device.
    """
    dim = like.numel()
    generator = torch.Generator().manual_seed(seed)
    deadline = time.perf_counter() + budget
    nodes, weights, iterations = [], [], 0
    for _ in range(starts):
        start = torch.randn(dim, generator=generator).to(like)
        alphas, betas = lanczos(matvec, start, min(steps, dim), deadline)
        values, w = ritz(alphas, betas)
        if len(values) == dim:  # the Krylov space is the whole space: these are the eigenvalues
            w = np.full(dim, 1 / dim)
        nodes.append(values)
        weights.append(w)
        iterations += len(alphas)
        if time.perf_counter() > deadline:
            break
    every = np.concatenate(nodes)
    radius = max(float(np.abs(every).max()), 1e-30)
    negative = np.mean(
        [float(w[v < -NEGATIVE_TOLERANCE * radius].sum()) for v, w in zip(nodes, weights, strict=True)]
    )
    return float(every.max()), float(every.min()), float(negative), iterations


def critical_point(
    model: nn.Module,
    x: Inputs,
    y: torch.Tensor,
    task: str,
    *,
    seed: int = 0,
    budget: float = BUDGET_SECONDS,
    loss_fn: LossFn | None = None,
) -> CriticalPoint:
    """Gradient norm and Hessian spectrum of the eval-mode training loss on (x, y)."""
    started = time.perf_counter()
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            hvp, grad, loss = hessian_vector_product(model, x, y, task, loss_fn)
            top, bottom, negative, iterations = spectrum(hvp, grad, seed=seed, budget=budget)
    finally:
        model.train(was_training)
    return CriticalPoint(
        loss=loss,
        grad_norm=float(torch.linalg.vector_norm(grad)),
        lambda_max=top,
        lambda_min=bottom,
        negative_share=negative,
        examples=len(y),
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )
