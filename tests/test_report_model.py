"""The report model: its JSON form round-trips, agrees with the schema, and a stored report renders
exactly like the fresh one. `assert_stored_renders_alike` runs on every shipped recipe's report in
test_recipes.py (seed 0), which already diagnoses them."""

from __future__ import annotations

import json
import typing
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from dldoctor.diagnosis import Policy, Setup
from dldoctor.gates import CheckPolicy, GateReport, evaluate
from dldoctor.report import Report
from dldoctor.report.console import render, render_gate
from dldoctor.report.junit import render_junit
from dldoctor.report.markdown import render_markdown
from dldoctor.report.model import DERIVED, ReportData, Settings, reported
from dldoctor.report.plots import write_plots
from dldoctor.report.stored import schema

# Keys older reports wrote and the model no longer does: the schema only grows, so they stay in it.
RETIRED = {"probes": {"implicates_lr"}}
FREE_FORM = {"sanity", "gradients", "critical_point", "bayes_details"}


def stored_copy(report: Report, folder: Path) -> ReportData:
    """The report written to disk and read back the way `dldoctor report` reads it."""
    from dldoctor.report import write_json
    from dldoctor.report.stored import read_report

    path = folder / "stored.json"
    write_json(report, path)
    return read_report(path)


def renderings(data: ReportData, folder: Path, plots: bool) -> dict[str, Any]:
    """Every renderer's output: terminal text, Markdown, JUnit of a gate, and the PNG bytes."""
    gated = replace(data, check=evaluate(data, CheckPolicy(max_dev_error=0.5, fail_on=("high_bias",))))
    console = Console(record=True, width=110)
    render(gated, console)
    render_gate(gated, console)
    out: dict[str, Any] = {
        "console": console.export_text(),
        "markdown": render_markdown(gated),
        "junit": render_junit(gated),
    }
    if plots:
        out |= {p.name: p.read_bytes() for p in write_plots(data, folder)}
    return out


def assert_stored_renders_alike(report: Report, folder: Path, plots: bool = False) -> None:
    """to_dict(from_dict(d)) == d, and each renderer's output on the fresh report equals its output
    on the stored copy."""
    written = report.to_dict()
    stored = stored_copy(report, folder)
    assert json.dumps(stored.to_dict()) == json.dumps(json.loads(json.dumps(written)))
    (folder / "fresh").mkdir()
    (folder / "stored").mkdir()
    assert renderings(report.data(), folder / "fresh", plots) == renderings(stored, folder / "stored", plots)


def written_keys(kind: type) -> set[str]:
    """The keys the model writes for a section of this type."""
    if kind is Settings:
        return {f.name for f in fields(Setup)} | {f.name for f in fields(Policy)} | {"seed", "scale"}
    if kind is GateReport:
        return set(GateReport(()).to_dict())
    return {f.name for f in fields(kind) if reported(f)} | set(DERIVED.get(kind, {}))


def section(hint: Any) -> type | None:
    """The dataclass a field holds (alone, optional, or as items of a tuple), if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if is_dataclass(candidate) and isinstance(candidate, type):
            return candidate
    return None


def object_schema(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The object a property's schema describes, through $ref, oneOf (with null) and array items."""
    if "$ref" in node:
        return object_schema(defs[node["$ref"].split("/")[-1]], defs)
    if "oneOf" in node:
        (inner,) = [n for n in node["oneOf"] if n.get("type") != "null"]
        return object_schema(inner, defs)
    if "items" in node:
        return object_schema(node["items"], defs)
    if "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
        return object_schema(node["additionalProperties"], defs)
    return node


def test_the_schema_lists_every_top_level_field_of_the_model_and_nothing_else():
    assert [f.name for f in fields(ReportData)] == [*ReportData().to_dict(), "check"]
    assert {f.name for f in fields(ReportData)} == set(schema()["properties"])


def test_every_section_the_model_types_has_exactly_its_fields_in_the_schema():
    hints = typing.get_type_hints(ReportData)
    defs, checked = schema()["$defs"], []
    for f in fields(ReportData):
        kind = section(hints[f.name])
        if kind is None or f.name in FREE_FORM:
            continue
        described = object_schema(schema()["properties"][f.name], defs)
        assert set(described.get("properties", {})) - RETIRED.get(f.name, set()) == written_keys(kind), f.name
        checked.append(f.name)
    assert len(checked) >= 12


def test_a_report_written_before_the_newer_fields_still_reads_and_renders(tmp_path):
    old = ReportData().to_dict()
    for newer in ("source", "bayes_bracket", "probe_failures", "warnings", "description", "bayes_size"):
        del old[newer]
    data = ReportData.from_dict(old)
    assert data.source == "recipe" and data.bayes_bracket is None and data.warnings == ()
    assert render_markdown(data).startswith("## dldoctor")
