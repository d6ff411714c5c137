"""A Markdown summary of a report (GitHub-flavoured), fit for $GITHUB_STEP_SUMMARY or a PR comment.

Works from the JSON form, so a fresh run and a stored report render the same.
"""

from __future__ import annotations

from typing import Any

from dldoctor import fmt
from dldoctor.report.error_summary import error_analysis_markdown
from dldoctor.stats import Estimate

STATUS_MARK = {"PASS": "✅", "WARN": "⚠️", "FAIL": "❌", "ERROR": "💥"}
GAP_ROWS = (
    ("avoidable_bias", "avoidable bias", "train − Bayes"),
    ("variance", "variance", "train-dev − train"),
    ("data_mismatch", "data mismatch", "dev − train-dev"),
    ("dev_overfit", "dev overfit", "test − dev"),
)


def render_markdown(report: dict[str, Any]) -> str:
    """The whole summary: verdict, gate, errors, gaps, baseline deltas, advice, warnings."""
    sections = [
        _title(report),
        _gate(report.get("check")),
        _errors(report),
        _gaps(report),
        _baseline(report),
        error_analysis_markdown(report),
        _advice(report),
        _probe_warnings(report),
        _probe_failures(report),
        _footer(report),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _title(r: dict[str, Any]) -> str:
    check = r.get("check")
    status = f" · check {STATUS_MARK[check['status']]} {check['status']}" if check else ""
    verdict = r["verdict"].replace("_", " ").upper()
    lines = [f"## dldoctor · {_cell(r['recipe'])} — {verdict}{status}", "", f"> {_cell(r['reason'])}"]
    lines += [f"\n**Warning:** {_cell(w)}." for w in r.get("warnings", [])]
    return "\n".join(lines)


def _gate(check: dict[str, Any] | None) -> str:
    if check is None:
        return ""
    counts = ", ".join(f"{n} {s}" for s, n in check["counts"].items() if n)
    strict = " (strict: warnings fail)" if check["strict"] else ""
    lines = [f"### Quality gate: {check['status']} — exit {check['exit_code']}{strict}", ""]
    if not check["rules"]:
        return "\n".join([*lines, "No rules configured: nothing to enforce."])
    lines += [f"{counts}.", "", "| result | rule | detail |", "|---|---|---|"]
    lines += [
        f"| {STATUS_MARK[x['status']]} {x['status']} | {_cell(x['rule'])} | {_cell(x['message'])} |"
        for x in check["rules"]
    ]
    return "\n".join(lines)


def _errors(r: dict[str, Any]) -> str:
    task, level = r["task"], fmt.confidence(r["settings"]["confidence"])
    lines = ["### Errors", "", f"| split | n | error | {level} interval |", "|---|--:|--:|---|"]
    for name, value in r["errors"].items():
        if value is None and name != "bayes":
            continue
        size = r["sizes"].get(name)
        shown = _interval(r["intervals"].get(name), task) if name != "bayes" else _bayes_interval(r)
        count = "" if size is None else f"{size:,}"
        lines.append(f"| {fmt.split(name)} | {count} | {fmt.error(value, task)} | {shown} |")
    return "\n".join(lines)


def _bayes_interval(r: dict[str, Any]) -> str:
    if r["bayes_source"] != "estimated":
        return r["bayes_source"]
    shown = _interval(r["intervals"].get("bayes"), r["task"])
    bracket = r.get("bayes_bracket")  # absent from reports older than the bracket
    return shown if not bracket else f"{shown}; {fmt.bracket(bracket['lower'], bracket['upper'], r['task'])}"


def _gaps(r: dict[str, Any]) -> str:
    task = r["task"]
    lines = ["### Where the error comes from", "", "| gap | | size | interval | reading |"]
    lines.append("|---|---|--:|---|---|")
    for name, label, formula in GAP_ROWS:
        value = r["gaps"].get(name)
        if value is None:
            continue
        flags = r["gap_flags"].get(name, {})
        interval = _interval(r["gap_intervals"].get(name), task, signed=True)
        lines.append(f"| {label} | {formula} | {fmt.gap(value, task)} | {interval} | {_reading(flags)} |")
    return "\n".join(lines)


def _reading(flags: dict[str, bool]) -> str:
    significant, material = flags.get("significant", False), flags.get("material", False)
    if significant and material:
        return "**problem**"
    if material:
        return "could be noise"
    return "real, too small" if significant else "none"


def _baseline(r: dict[str, Any]) -> str:
    comparison = (r.get("check") or {}).get("baseline")
    if not comparison:
        return ""
    task = r["task"]
    lines = [
        f"### Compared with the baseline ({_cell(comparison['baseline_recipe'])})",
        "",
        f"Intervals: {comparison['method']}, {fmt.confidence(comparison['confidence'])}.",
        "",
        "| split | baseline | now | change | interval | reading |",
        "|---|--:|--:|--:|---|---|",
    ]
    for d in comparison["deltas"]:
        lines.append(
            f"| {fmt.split(d['split'])} | {fmt.error(d['baseline'], task)} | {fmt.error(d['current'], task)}"
            f" | {fmt.gap(d['difference'], task)} | {_interval(d['interval'], task, signed=True)}"
            f" | {d['change']} |"
        )
    return "\n".join(lines)


def _advice(r: dict[str, Any]) -> str:
    parts = []
    for finding in r["findings"]:
        title = f"### {finding['kind'].replace('_', ' ')} ({finding['severity']})"
        steps = [f"{i}. {_cell(tip)}" for i, tip in enumerate(finding["advice"], 1)]
        parts.append("\n".join([title, "", _cell(finding["summary"]), "", *steps]))
    return "\n\n".join(parts)


def _probe_warnings(r: dict[str, Any]) -> str:
    warned = [p for p in r["probes"] if p["status"] == "warn"]
    if not warned:
        return ""
    lines = ["### Optimisation probes that point at a problem", ""]
    lines += [f"- **{p['probe']}**: {_cell(p['summary'])}" for p in warned]
    return "\n".join(lines)


def _probe_failures(r: dict[str, Any]) -> str:
    failed = r.get("probe_failures") or {}  # absent from reports written before probes were isolated
    if not failed:
        return ""
    lines = ["### Probes that failed (the diagnosis completed without them)", ""]
    lines += [f"- **{name}**: {_cell(why)}" for name, why in failed.items()]
    return "\n".join(lines)


def _footer(r: dict[str, Any]) -> str:
    s = r["settings"]
    version = r["versions"].get("dldoctor", "?")
    if r.get("source") == "predictions":
        where = f"seed {s['seed']} · {r['seconds']:.1f} s · dldoctor {version}"
        return f"<sub>from saved predictions · {where}</sub>"
    return (
        f"<sub>{s['optimizer']} lr={s['lr']:g} · batch {s['batch_size']} · {len(r['history'])}/{s['epochs']}"
        f" epochs · seed {s['seed']} · {r['device']} · {r['seconds']:.1f} s · dldoctor {version}</sub>"
    )


def _interval(pair: list[float | None] | None, task: str, signed: bool = False) -> str:
    low, high = pair if pair is not None else (None, None)
    if low is None or high is None:
        return "n/a"
    return fmt.interval(Estimate(0.0, low, high), task, signed=signed)


def _cell(text: str) -> str:
    """Text safe inside a table cell or a quote: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")
