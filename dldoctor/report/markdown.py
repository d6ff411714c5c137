"""A Markdown summary of a report (GitHub-flavoured), fit for $GITHUB_STEP_SUMMARY or a PR comment.

Works from the report model, so a fresh run and a stored report render the same.
"""

from __future__ import annotations

from dldoctor import fmt
from dldoctor.diagnosis.gaps import SPEC
from dldoctor.gates.results import GateReport, Status
from dldoctor.report.error_summary import error_analysis_markdown
from dldoctor.report.model import STEPS, ProbeSection, ReportData

STATUS_MARK = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "💥"}


def render_markdown(report: ReportData) -> str:
    """The whole summary: verdict, gate, errors, gaps, baseline deltas, advice, warnings."""
    sections = [
        _title(report),
        _gate(report.check),
        _errors(report),
        _gaps(report),
        _baseline(report),
        error_analysis_markdown(report),
        *(_section(s) for s in report.sections.values()),
        _advice(report),
        _probe_warnings(report),
        _probe_failures(report),
        _footer(report),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _title(r: ReportData) -> str:
    check = r.check
    status = "" if check is None else f" · check {STATUS_MARK[check.status]} {check.status.value}"
    verdict = r.verdict.replace("_", " ").upper()
    lines = [f"## dldoctor · {_cell(r.recipe)} — {verdict}{status}", "", f"> {_cell(r.reason)}"]
    lines += [f"\n**Warning:** {_cell(w)}." for w in r.warnings]
    return "\n".join(lines)


def _gate(check: GateReport | None) -> str:
    if check is None:
        return ""
    counts = ", ".join(f"{n} {s}" for s, n in check.counts().items() if n)
    strict = " (strict: warnings fail)" if check.strict else ""
    lines = [f"### Quality gate: {check.status.value} — exit {check.exit_code}{strict}", ""]
    if not check.results:
        return "\n".join([*lines, "No rules configured: nothing to enforce."])
    lines += [f"{counts}.", "", "| result | rule | detail |", "|---|---|---|"]
    lines += [
        f"| {STATUS_MARK[x.status]} {x.status.value} | {_cell(x.rule)} | {_cell(x.message)} |"
        for x in check.results
    ]
    return "\n".join(lines)


def _errors(r: ReportData) -> str:
    task, level = r.task, fmt.confidence(r.policy.confidence)
    lines = ["### Errors", "", f"| split | n | error | {level} interval |", "|---|--:|--:|---|"]
    for name, value in r.errors.items():
        if value is None and name != "bayes":
            continue
        size = r.sizes.get(name)
        shown = fmt.interval(r.error(name), task) if name != "bayes" else bayes_interval(r)
        count = "" if size is None else f"{size:,}"
        lines.append(f"| {fmt.split(name)} | {count} | {fmt.error(value, task)} | {shown} |")
    return "\n".join(lines)


def bayes_interval(r: ReportData) -> str:
    """The Bayes row's interval: where the value came from unless estimated, else with its bracket."""
    if r.bayes_source != "estimated":
        return r.bayes_source
    shown = fmt.interval(r.error("bayes"), r.task)
    b = r.bayes_bracket  # None in reports older than the bracket
    return shown if b is None else f"{shown}; {fmt.bracket(b.lower, b.upper, r.task)}"


def _gaps(r: ReportData) -> str:
    lines = ["### Where the error comes from", "", "| gap | | size | interval | reading |"]
    lines.append("|---|---|--:|---|---|")
    for name in STEPS:
        value = r.gaps.get(name)
        if value is None:
            continue
        spec, reading = SPEC[name], r.flags(name).judgement
        formula = f"{fmt.split(spec.upper)} − {fmt.split(spec.lower)}"
        interval = fmt.interval(r.gap(name), r.task, signed=True)
        reading = f"**{reading}**" if reading == "problem" else reading
        label = name.replace("_", " ")
        lines.append(f"| {label} | {formula} | {fmt.gap(value, r.task)} | {interval} | {reading} |")
    return "\n".join(lines)


def _baseline(r: ReportData) -> str:
    comparison = None if r.check is None else r.check.comparison
    if comparison is None:
        return ""
    task = r.task
    lines = [
        f"### Compared with the baseline ({_cell(comparison.baseline_recipe)})",
        "",
        f"Intervals: {comparison.method}, {fmt.confidence(comparison.confidence)}.",
        "",
        "| split | baseline | now | change | interval | reading |",
        "|---|--:|--:|--:|---|---|",
    ]
    for d in comparison.deltas:
        diff = d.difference
        lines.append(
            f"| {fmt.split(d.split)} | {fmt.error(d.baseline, task)} | {fmt.error(d.current, task)}"
            f" | {fmt.gap(None if diff is None else diff.value, task)}"
            f" | {fmt.interval(diff, task, signed=True)} | {d.change} |"
        )
    return "\n".join(lines)


def _section(section: ProbeSection) -> str:
    return "\n".join([f"### {_cell(section.title)}", "", *(f"- {_cell(line)}" for line in section.lines)])


def _advice(r: ReportData) -> str:
    parts = []
    for finding in r.findings:
        title = f"### {finding.kind.replace('_', ' ')} ({finding.severity})"
        steps = [f"{i}. {_cell(tip)}" for i, tip in enumerate(finding.advice, 1)]
        parts.append("\n".join([title, "", _cell(finding.summary), "", *steps]))
    return "\n\n".join(parts)


def _probe_warnings(r: ReportData) -> str:
    warned = [p for p in r.probes if p.status == "warn"]
    if not warned:
        return ""
    lines = ["### Optimisation probes that point at a problem", ""]
    lines += [f"- **{p.probe}**: {_cell(p.summary)}" for p in warned]
    return "\n".join(lines)


def _probe_failures(r: ReportData) -> str:
    failed = r.probe_failures
    if not failed:
        return ""
    lines = ["### Probes that failed (the diagnosis completed without them)", ""]
    lines += [f"- **{name}**: {_cell(why)}" for name, why in failed.items()]
    return "\n".join(lines)


def _footer(r: ReportData) -> str:
    s, seed = r.setup, r.settings.seed
    version = r.versions.get("dldoctor", "?")
    if r.source == "predictions":
        where = f"seed {seed} · {r.seconds:.1f} s · dldoctor {version}"
        return f"<sub>from saved predictions · {where}</sub>"
    return (
        f"<sub>{s.optimizer} lr={fmt.setting(s.lr)} · batch {s.batch_size} · {len(r.history)}/{s.epochs}"
        f" epochs · seed {seed} · {r.device} · {r.seconds:.1f} s · dldoctor {version}</sub>"
    )


def _cell(text: str) -> str:
    """Text safe inside a table cell or a quote: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")
