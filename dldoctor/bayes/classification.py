"""Bayes-error estimators for classification: neighbours, a calibrated plug-in, soft labels."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from dldoctor.bayes.candidates import Candidate
from dldoctor.neighbours import neighbours
from dldoctor.stats import mean_interval

VOTE_WORK = 1 << 22  # draws × rows × k counts held at once by vote_noise


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
    readings = knn_excess(y, near, num_classes).cpu().numpy()
    point = mean_interval(readings, confidence)
    one = mean_interval(one_wrong, confidence)
    seconds = time.perf_counter() - started
    common: dict[str, Any] = {
        "representation": representation,
        "dimension": dimension,
        "n": n,
        "seconds": seconds,
    }
    low, high = cover_hart(one.low, num_classes), cover_hart(one.high, num_classes)
    return (
        Candidate(
            f"knn.{representation}",
            point.value,
            point.low,
            point.high,
            "point",
            **common,
            note=f"k={k}",
            readings=readings,
        ),
        Candidate(
            f"cover_hart.{representation}",
            cover_hart(one.value, num_classes),
            low,
            high,
            "lower_bound",
            **common,
            note=f"1-NN error {one.value:.4f}",
        ),
    )


def knn_excess(y: torch.Tensor, near: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Per example: whether the vote of its neighbours `near` misses its label (ties go to the
    nearest), less the expected vote noise — the k-NN error's per-example share of the estimate."""
    n = len(y)
    voters = y[near].cpu()  # (n, k): the neighbours' labels, nearest first
    votes = torch.zeros(n, num_classes).scatter_add_(1, voters, torch.ones(voters.shape))
    votes[torch.arange(n), voters[:, 0]] += 0.5  # ties go to the nearest neighbour
    return (votes.argmax(dim=1) != y.cpu()).double() - vote_noise(voters)


def vote_noise(voters: torch.Tensor, draws: int = 32, seed: int = 0) -> torch.Tensor:
    """Per example, the expected error a k-vote majority adds to the best decision, were the class
    shares among its k neighbours' labels `voters` (n, k) the truth: E[max p − p_picked] over
    k-vote draws (Monte Carlo, seeded).

    Near the decision boundary a vote of k is a coin toss; this part of the k-NN error's excess over
    the Bayes error is about density·1/(4k) and can be estimated from the votes themselves. A draw of
    k votes from the shares is k neighbours picked with replacement, so only the classes present
    among the k are counted: O(draws·n·k) time, chunked over rows, whatever the number of classes.
    """
    n, k = voters.shape
    local = _local_classes(voters.cpu())
    shares = (
        torch.zeros(n, k, dtype=torch.float64).scatter_add_(1, local, torch.ones(n, k, dtype=torch.float64))
        / k
    )
    rows = max(1, VOTE_WORK // (draws * k))
    generator = torch.Generator().manual_seed(seed)
    noise = torch.empty(n, dtype=torch.float64)
    for start in range(0, n, rows):
        part = local[start : start + rows]
        picks = torch.randint(0, k, (draws, len(part), k), generator=generator)
        drawn = part.expand(draws, -1, -1).gather(2, picks)
        counts = torch.rand(drawn.shape, generator=generator)  # a fraction below 1 breaks ties at random
        picked = counts.scatter_add_(2, drawn, torch.ones(drawn.shape)).argmax(dim=2)
        share = shares[start : start + rows]
        chosen = share.expand(draws, -1, -1).gather(2, picked[..., None])[..., 0]
        noise[start : start + rows] = (share.max(dim=1).values - chosen).mean(dim=0)
    return noise.to(voters.device)


def _local_classes(voters: torch.Tensor) -> torch.Tensor:
    """Each row's labels renumbered 0, 1, … by distinct class (order of the sorted labels)."""
    ordered, order = voters.sort(dim=1)
    fresh = torch.ones_like(ordered)
    fresh[:, 0] = 0
    fresh[:, 1:] = (ordered[:, 1:] != ordered[:, :-1]).long()
    return torch.empty_like(voters).scatter_(1, order, fresh.cumsum(dim=1))


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
