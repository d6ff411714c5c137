"""The error analysis as Markdown, from the report model: one text for the terminal (rendered by rich)
and for the Markdown summary, in the order the method is used — where the errors are, which labels
look wrong and what cleaning them could buy, calibration, slices."""

from __future__ import annotations

import math

from dldoctor import fmt
from dldoctor.diagnosis import Duplicates
from dldoctor.error_analysis.calibration import Calibration
from dldoctor.error_analysis.classes import ClassErrors
from dldoctor.error_analysis.label_noise import LabelNoise
from dldoctor.error_analysis.residuals import Residuals
from dldoctor.error_analysis.slices import Slices
from dldoctor.report.model import ReportData
from dldoctor.stats import Estimate

CLASSES_SHOWN = 3
SLICES_SHOWN = 3
RESIDUALS_SHOWN = 3


def error_analysis_markdown(report: ReportData) -> str:
    """'' when the report has no error analysis."""
    analysis, task = report.error_analysis, report.task
    if analysis is None:
        return ""
    lines = [f"### Error analysis ({fmt.split(analysis.split)})", ""]
    if analysis.classes:
        lines += _classes(analysis.classes)
    if analysis.residuals:
        lines += _residuals(analysis.residuals)
    lines += [_noise(name, noise) for name, noise in analysis.label_noise.items()]
    if analysis.calibration:
        lines.append(_calibration(analysis.calibration))
    if analysis.slices:
        lines.append(_slices(analysis.slices, task))
    lines += [_duplicates(found) for found in report.leakage]
    lines += [f"- Not analysed — {part.replace('_', ' ')}: {why}." for part, why in analysis.skipped.items()]
    return "\n".join(lines)


def _classes(classes: ClassErrors) -> list[str]:
    ranked = [c for c in classes.classes if c.share_of_errors > 0][:CLASSES_SHOWN]
    if not ranked:
        return ["- No errors on this split."]
    where = "; ".join(
        f"class {c.label} {_pct(c.share_of_errors)} of the errors"
        f" (its error {_pct(c.error.value)}, CI {_est(c.error, 'classification')})"
        for c in ranked
    )
    pairs = ", ".join(
        f"{p.given} → {p.predicted} ({p.count}, {_pct(p.share_of_errors)})" for p in classes.pairs
    )
    return [
        f"- Where the errors are (fixing a class's errors takes off at most its share): {where}.",
        f"- Most confused (given → predicted): {pairs}.",
    ]


def _residuals(residuals: Residuals) -> list[str]:
    largest = ", ".join(
        f"#{r.index} target {r.target:.4g} predicted {r.prediction:.4g}"
        for r in residuals.largest[:RESIDUALS_SHOWN]
    )
    bins = "; ".join(
        f"[{b.low:.4g}, {b.high:.4g}] MSE {b.error.value:.4g} ({_pct(b.share_of_error)} of it)"
        for b in residuals.bins
    )
    return [f"- Largest residuals: {largest}.", f"- Error by target range (quantile bins): {bins}."]


def _noise(split: str, noise: LabelNoise) -> str:
    name = fmt.split(split)
    rate = noise.rate
    said = (
        f"- Label noise in {name}: estimated {_pct(rate.value)} (CI {_est(rate, 'classification')});"
        f" {noise.flagged} of {noise.n} examples flagged"
    )
    if not noise.flagged:
        return said + "."
    drop = noise.error - noise.error_if_relabelled
    return (
        f"{said}. Were they all mislabelled, {name} error would be {_pct(noise.error_if_relabelled)}"
        f" instead of {_pct(noise.error)}: cleaning these labels can take off at most"
        f" {100 * drop:.1f} pts."
    )


def _calibration(calibration: Calibration) -> str:
    over, ece = calibration.overconfidence, calibration.ece
    return (
        f"- Calibration: ECE {_pct(ece.value)} (CI {_est(ece, 'classification')});"
        f" {calibration.reading} (mean confidence − accuracy {fmt.gap(over.value, 'classification')},"
        f" CI {_est(over, 'classification', signed=True)})."
    )


def _slices(slices: Slices, task: str) -> str:
    worse = slices.worse
    head = (
        f"- Slices: {len(worse)} of {slices.tests} significantly worse than the rest"
        f" (intervals simultaneous: {slices.correction})"
    )
    shown = (worse or slices.slices)[:SLICES_SHOWN]
    listed = "; ".join(
        f"{s.column}={s.value} {fmt.error(s.error.value, task)} vs"
        f" {fmt.error(s.rest.value, task)} ({fmt.gap(s.gap.value, task)},"
        f" CI {_est(s.gap, task, signed=True)}, n={s.n})"
        for s in shown
    )
    return f"{head}{'' if worse else '; worst'}: {listed}."


def _duplicates(d: Duplicates) -> str:
    """The leakage probe's duplicate search (dldoctor.duplicates), read where errors are looked at."""
    found = d.exact + d.near
    reading = ": their errors measure memory, not generalisation" if found else ""
    return (
        f"- Duplicates: {found:,} of {d.n_query:,} {fmt.split(d.query)} inputs also sit in"
        f" {fmt.split(d.reference)} ({d.exact:,} exact, {d.near:,} within {d.radius:.3g};"
        f" typical nearest-neighbour distance {d.typical:.3g}){reading}."
    )


def _pct(value: float | None) -> str:
    return fmt.error(value, "classification")


def _est(e: Estimate, task: str, signed: bool = False) -> str:
    """An interval, or n/a where an end was not finite (a stored report holds it as null)."""
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return "n/a"
    return fmt.interval(e, task, signed=signed)
