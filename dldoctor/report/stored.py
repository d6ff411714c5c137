"""Stored reports: read one back (as the report model), and the JSON Schema every written report
satisfies.

The schema file (schema-1.json, shipped in the package) is the contract; reading checks the
version and the required top-level keys it lists, so a file from another tool or a future
schema gets a clear message instead of a KeyError deep in a renderer.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dldoctor.errors import ReportError, one_line
from dldoctor.report.model import SCHEMA, ReportData


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of report schema version SCHEMA."""
    text = resources.files("dldoctor.report").joinpath(f"schema-{SCHEMA}.json").read_text()
    return json.loads(text)


def read_report(path: Path, what: str = "report") -> ReportData:
    """A stored report, checked against the schema, as the model every renderer takes."""
    return ReportData.from_dict(load_report(path, what))


def load_report(path: Path, what: str = "report") -> dict[str, Any]:
    """A report written by `diagnose --json` or `check --json`, as the plain dict it was written from."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ReportError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read {what} {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{what} {path} is not JSON ({exc}); give a file written with --json") from None
    if not isinstance(data, dict) or "schema" not in data:
        raise ReportError(f"{what} {path} is not a dldoctor report: it has no 'schema' key")
    if data["schema"] != SCHEMA:
        raise ReportError(
            f"{what} {path} has schema {data['schema']!r}; this dldoctor reads schema {SCHEMA}"
            " (rerun with this version, or use the dldoctor that wrote it)"
        )
    missing = [key for key in schema()["required"] if key not in data]
    if missing:
        raise ReportError(
            f"{what} {path} is not a complete schema-{SCHEMA} report: missing {', '.join(missing)}"
        )
    _check_types(data, path, what)
    return data


def _check_types(data: dict[str, Any], path: Path, what: str) -> None:
    """Every value of the right type, so an edited or damaged file gets one line naming the key
    instead of a TypeError deep in a renderer."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema()).iter_errors(data))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "the top level"
        raise ReportError(
            f"{what} {path} is damaged or was edited: at {where}, {one_line(error.message, 160)};"
            " write it again with --json"
        )
