"""How numbers read to a user: error rates in percent and gaps in points; MSE as plain numbers."""

from __future__ import annotations

import math

from dldoctor.stats import Estimate
from dldoctor.task import get


def error(value: float | None, task: str) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.1f}%" if get(task).rate else f"{value:.4g}"


def gap(value: float | None, task: str) -> str:
    """A difference of errors: percentage points for rates, a signed number for MSE."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:+.1f} pts" if get(task).rate else f"{value:+.4g}"


def interval(est: Estimate | None, task: str, signed: bool = False) -> str:
    """'1.6 to 5.2%', '-0.2 to +4.0 pts', or '0.12 to 0.15' for MSE."""
    if est is None:
        return "n/a"
    if not get(task).rate:
        spec = "+.4g" if signed else ".4g"
        return f"{est.low:{spec}} to {est.high:{spec}}"
    spec, unit = ("+.1f", " pts") if signed else (".1f", "%")
    return f"{100 * est.low:{spec}} to {100 * est.high:{spec}}{unit}"


def bracket(lower: float | None, upper: float | None, task: str) -> str:
    """'bracket [13.7%, 16.4%]': where other evidence puts the Bayes error (see bayes.Bracket)."""
    return f"bracket [{error(lower, task)}, {error(upper, task)}]"


def setting(value: float) -> str:
    """A training setting (lr, β, weight decay); 'unknown' where the run could not read it."""
    return f"{value:g}" if math.isfinite(value) else "unknown"


def confidence(level: float) -> str:
    return f"{100 * level:g}%"


def split(name: str) -> str:
    """'train_dev' -> 'train-dev', 'bayes' -> 'Bayes'."""
    return "Bayes" if name == "bayes" else name.replace("_", "-")
