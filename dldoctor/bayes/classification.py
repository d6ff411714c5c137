"""Bayes-error estimators for classification: neighbours, a calibrated plug-in, soft labels."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from dldoctor.bayes.candidates import Candidate
from dldoctor.neighbours import neighbours
from dldoctor.stats import mean_interval


def knn(
    features: torch.Tensor, y: torch.Tensor, num_classes: int, representation: str, confidence: float
) -> tuple[Candidate, Candidate]:
    """Leave-one-out k-NN error (k ≈ sqrt(n), odd) and the Cover–Hart lower bound from the 1-NN error.

    The k-NN error is reported less its expected vote noise (see `vote_noise`), an excess over the
    Bayes error that shrinks only like 1/k. Both intervals bootstrap the per-example values with
    the neighbour sets held fixed; the Cover–Hart interval is the bound applied to the ends of the
    1-NN error's (the bound is monotone).
    """
    started = time.perf_counter()
    n, dimension = features.shape
    k = min(n - 1, max(1, int(math.sqrt(n)) | 1))
    near, _ = neighbours(features, k)
    one_wrong = (y[near[:, 0]] != y).double().cpu().numpy()
    point = mean_interval(knn_excess(y, near, num_classes).cpu().numpy(), confidence)
    one = mean_interval(one_wrong, confidence)
    seconds = time.perf_counter() - started
    common = {"representation": representation, "dimension": dimension, "n": n, "seconds": seconds}
    bound = [cover_hart(r, num_classes) for r in (one.value, one.low, one.high)]
    return (
        Candidate(
            f"knn.{representation}", point.value, point.low, point.high, "point", **common, note=f"k={k}"
        ),
        Candidate(
            f"cover_hart.{representation}",
            *bound,
            "lower_bound",
            **common,
            note=f"1-NN error {one.value:.4f}",
        ),
    )


def knn_excess(y: torch.Tensor, near: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Per example: whether the vote of its neighbours `near` misses its label (ties go to the
    nearest), less the expected vote noise — the k-NN error's per-example share of the estimate."""
    k = near.shape[1]
    counts = F.one_hot(y[near], num_classes).sum(dim=1).float()
    votes = counts + 0.5 * F.one_hot(y[near[:, 0]], num_classes)
    return (votes.argmax(dim=1) != y).double() - vote_noise(counts / k, k)


def vote_noise(posterior: torch.Tensor, k: int, draws: int = 32, seed: int = 0) -> torch.Tensor:
    """Per example, the expected error a k-vote majority adds to the best decision, were the neighbours'
    class shares `posterior` the truth: E[max p − p_picked] over k-vote draws (Monte Carlo, seeded).

    Near the decision boundary a vote of k is a coin toss; this part of the k-NN error's excess over
    the Bayes error is about density·1/(4k) and can be estimated from the votes themselves.
    """
    p = posterior.double().cpu()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        counts = _multinomial(p, k, draws)
        picked = (counts + torch.rand_like(counts)).argmax(dim=2)  # ties broken at random
    chosen = p.gather(1, picked.T)
    return (p.max(dim=1, keepdim=True).values - chosen).mean(dim=1).to(posterior.device)


def _multinomial(p: torch.Tensor, k: int, draws: int) -> torch.Tensor:
    """(draws, n, K) counts of k votes per row of p, as a chain of vectorised binomials."""
    left = torch.full((draws, p.shape[0]), float(k), dtype=p.dtype)
    mass = torch.ones(p.shape[0], dtype=p.dtype)
    counts = torch.zeros(draws, *p.shape, dtype=p.dtype)
    for c in range(p.shape[1] - 1):
        share = (p[:, c] / mass.clamp_min(1e-12)).clamp(0, 1).expand_as(left).contiguous()
        counts[:, :, c] = torch.binomial(left, share)
        left = left - counts[:, :, c]
        mass = mass - p[:, c]
    counts[:, :, -1] = left
    return counts


def cover_hart(one_nn_error: float, num_classes: int) -> float:
    """Cover–Hart: B ≥ ((K−1)/K)·(1 − sqrt(1 − K/(K−1)·R1)) with R1 the asymptotic 1-NN error."""
    ratio = num_classes / (num_classes - 1)
    return (1 / ratio) * (1 - math.sqrt(max(0.0, 1 - ratio * one_nn_error)))


def plug_in(logits: torch.Tensor, y: torch.Tensor, confidence: float) -> Candidate:
    """mean(1 − max p) after temperature scaling, cross-fitted on two halves of held-out data.

    A heuristic: it is only as good as the model's ranking of examples, and calibration fixes
    confidence, not sharpness.
    """
    started = time.perf_counter()
    logits = logits.double()
    halves = torch.randperm(len(y), generator=torch.Generator().manual_seed(0)).chunk(2)
    loss = torch.empty(len(y), dtype=torch.float64)
    temps = []
    for fit_on, apply_to in (halves, halves[::-1]):
        temperature = fit_temperature(logits[fit_on], y[fit_on])
        temps.append(temperature)
        p = F.softmax(logits[apply_to] / temperature, dim=1)
        loss[apply_to] = 1 - p.max(dim=1).values.cpu()
    est = mean_interval(loss.numpy(), confidence)
    return Candidate(
        "plugin.outputs",
        est.value,
        est.low,
        est.high,
        "heuristic",
        "outputs",
        logits.shape[1],
        len(y),
        time.perf_counter() - started,
        note="temperatures " + ", ".join(f"{t:.3g}" for t in temps),
    )


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The temperature T minimising the cross-entropy of softmax(logits / T) (T = exp(t), L-BFGS)."""
    t = torch.zeros((), dtype=logits.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS([t], lr=1, max_iter=100, line_search_fn="strong_wolfe")
    logits, y = logits.detach().cpu(), y.cpu()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits * torch.exp(-t), y)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return float(torch.exp(t.detach()))


def soft_labels(probabilities: torch.Tensor, confidence: float) -> Candidate:
    """mean(1 − max_k c_k), c the (n, K) annotators' probabilities: unbiased, no dimension problem."""
    started = time.perf_counter()
    c = probabilities.double()
    loss = (1 - c.max(dim=1).values).cpu().numpy()
    est = mean_interval(np.asarray(loss), confidence)
    return Candidate(
        "soft_labels",
        est.value,
        est.low,
        est.high,
        "point",
        "soft labels",
        0,
        len(loss),
        time.perf_counter() - started,
    )
