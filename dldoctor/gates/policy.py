"""The check policy: which rules a run must satisfy, read from TOML and overridden by flags.

Where it comes from: `--policy FILE`, else the `[tool.dldoctor.check]` table of the nearest
pyproject.toml above the working directory. Keys are spelled like the flags (`max-dev-error`);
every problem names the key and where it was written, so a CI log says what to fix.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dldoctor.diagnosis.evidence import KINDS
from dldoctor.errors import PolicyError
from dldoctor.task import get

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAXIMA = (
    "max_dev_error",
    "max_test_error",
    "max_avoidable_bias",
    "max_variance",
    "max_mismatch",
    "max_dev_overfit",
    "max_label_noise",
    "max_ece",
    "max_slice_gap",
)
PYPROJECT_TABLE = "[tool.dldoctor.check]"
FLAGS = "command line"


@dataclass(frozen=True)
class CheckPolicy:
    """Thresholds are in the errors' units (rates for classification, MSE for regression).

    `baseline_tolerance` is the worsening of dev error accepted before the baseline rule FAILs
    (0: any significant worsening fails). `origins` says where each set key came from
    ("--max-dev-error", "pyproject.toml [tool.dldoctor.check]: 'max-dev-error'"), for messages.
    Each key is written once, here: its `help` is what the command line's flag says.
    """

    max_dev_error: float | None = field(
        default=None, metadata={"help": "FAIL above this dev error; WARN when only its interval is."}
    )
    max_test_error: float | None = field(default=None, metadata={"help": "FAIL above this test error."})
    max_avoidable_bias: float | None = field(
        default=None, metadata={"help": "FAIL above this avoidable-bias gap."}
    )
    max_variance: float | None = field(default=None, metadata={"help": "FAIL above this variance gap."})
    max_mismatch: float | None = field(default=None, metadata={"help": "FAIL above this data-mismatch gap."})
    max_dev_overfit: float | None = field(default=None, metadata={"help": "FAIL above this dev-overfit gap."})
    max_label_noise: float | None = field(
        default=None, metadata={"help": "FAIL above this estimated share of wrong labels in dev."}
    )
    max_ece: float | None = field(
        default=None, metadata={"help": "FAIL above this expected calibration error on dev."}
    )
    max_slice_gap: float | None = field(
        default=None, metadata={"help": "FAIL when a metadata slice's dev error exceeds the rest's by more."}
    )
    fail_on: tuple[str, ...] = field(
        default=(), metadata={"help": f"Comma-separated finding kinds that FAIL: {', '.join(KINDS)}."}
    )
    warn_on: tuple[str, ...] = field(
        default=(), metadata={"help": "Comma-separated finding kinds that WARN."}
    )
    baseline: Path | None = field(
        default=None, metadata={"help": "A stored report: FAIL when dev error is significantly worse."}
    )
    baseline_tolerance: float = field(
        default=0.0, metadata={"help": "Dev-error worsening accepted against the baseline (default 0)."}
    )
    strict: bool = field(default=False, metadata={"help": "WARN fails too (exit 1)."})
    source: str | None = field(default=None, compare=False)  # the file it was read from, if any
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def for_task(self, task: str) -> CheckPolicy:
        """Reject thresholds no error of this task can reach: an error rate lies in [0, 1]."""
        if get(task).rate:
            for name in (*MAXIMA, "baseline_tolerance"):
                value = getattr(self, name)
                if value is not None and value > 1:
                    raise PolicyError(
                        f"{self._where(name)}: {value:g} is impossible for a {task} error rate,"
                        f" which lies between 0 and 1 (write 0.05 for 5 %)"
                    )
        return self

    def to_dict(self) -> dict[str, Any]:
        plain = {f.name: getattr(self, f.name) for f in fields(self) if f.name in KEYS.values()}
        plain["fail_on"], plain["warn_on"] = list(self.fail_on), list(self.warn_on)
        plain["baseline"] = None if self.baseline is None else str(self.baseline)
        return plain

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None) -> CheckPolicy:
        """The policy as a stored check report holds it (`to_dict`), and the file it came from."""
        baseline = data["baseline"]
        lists = {"fail_on": tuple(data["fail_on"]), "warn_on": tuple(data["warn_on"])}
        return cls(
            **{**data, **lists, "baseline": None if baseline is None else Path(baseline)}, source=source
        )

    def _where(self, name: str) -> str:
        return self.origins.get(name, f"'{key_name(name)}'")


def key_name(attribute: str) -> str:
    """The spelling users write: `max_dev_error` -> `max-dev-error`."""
    return attribute.replace("_", "-")


KEYS = {key_name(f.name): f.name for f in fields(CheckPolicy) if f.name not in ("source", "origins")}


def load_policy(policy_file: Path | None, flags: Mapping[str, Any], start: Path) -> CheckPolicy:
    """The policy file (or the nearest pyproject.toml's table above `start`), then the flags over it."""
    found = read_policy_file(policy_file) if policy_file is not None else discover(start)
    layers = [found] if found is not None else []
    policy = build(*layers, (flag_values(flags), FLAGS))
    return replace(policy, source=None if found is None else found[1])


def parse(table: Mapping[str, Any], source: str, base: Path) -> dict[str, Any]:
    """Validate a table of policy keys; return CheckPolicy field values (relative paths from `base`)."""
    values: dict[str, Any] = {}
    for key, raw in table.items():
        name = KEYS.get(key)
        if name is None:
            raise PolicyError(f"{source}: unknown key '{key}'{_suggest(key)}; known keys: {', '.join(KEYS)}")
        values[name] = _value(name, raw, where(source, key), base)
    return values


def build(*layers: tuple[dict[str, Any], str]) -> CheckPolicy:
    """Later layers override earlier ones key by key: (values from `parse`, their source)."""
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for values, source in layers:
        merged.update(values)
        origins.update({name: where(source, key_name(name)) for name in values})
    return replace(CheckPolicy(**merged), origins=origins)


def flag_values(flags: Mapping[str, Any]) -> dict[str, Any]:
    """Command-line flags (attribute names; None means not given) through the same validation."""
    given = {key_name(name): value for name, value in flags.items() if value is not None}
    return parse(given, FLAGS, Path.cwd())


def where(source: str, key: str) -> str:
    """How a message names a key: `--max-dev-error`, or `pyproject.toml [...]: 'max-dev-error'`."""
    return f"--{key}" if source == FLAGS else f"{source}: '{key}'"


def read_policy_file(path: Path) -> tuple[dict[str, Any], str]:
    """A pyproject.toml contributes its [tool.dldoctor.check] table; any other TOML file is all policy."""
    document = _read_toml(path)
    if path.name == "pyproject.toml":
        table = _pyproject_table(document, path)
        if table is None:
            raise PolicyError(f"{path} has no {PYPROJECT_TABLE} table")
        source = f"{path} {PYPROJECT_TABLE}"
    else:
        table, source = document, str(path)
    return parse(table, source, path.resolve().parent), source


def discover(start: Path) -> tuple[dict[str, Any], str] | None:
    """The nearest pyproject.toml at or above `start` decides; None when it has no check table."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = _pyproject_table(_read_toml(candidate), candidate)
            if table is None:
                return None
            source = f"{candidate} {PYPROJECT_TABLE}"
            return parse(table, source, folder), source
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from None


def _pyproject_table(document: dict[str, Any], path: Path) -> dict[str, Any] | None:
    table = document.get("tool", {}).get("dldoctor", {}).get("check")
    if table is not None and not isinstance(table, dict):
        raise PolicyError(f"{path}: tool.dldoctor.check must be a table, got {type(table).__name__}")
    return table


def _value(name: str, raw: Any, where: str, base: Path) -> Any:
    if name in (*MAXIMA, "baseline_tolerance"):
        return _threshold(raw, where)
    if name in ("fail_on", "warn_on"):
        return parse_kinds(raw, where)
    if name == "strict":
        if not isinstance(raw, bool):
            raise PolicyError(f"{where} must be true or false, got {raw!r}")
        return raw
    if not isinstance(raw, (str, Path)) or not str(raw):
        raise PolicyError(f"{where} must be a path to a stored report, got {raw!r}")
    return base / Path(raw)


def _threshold(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise PolicyError(f"{where} must be a number, got {raw!r}")
    if not math.isfinite(raw) or raw < 0:
        raise PolicyError(f"{where} must be a finite number ≥ 0, got {raw!r}")
    return float(raw)


def parse_kinds(raw: Any, where: str) -> tuple[str, ...]:
    """Finding kinds, as a list or one comma-separated string; `where` names the key in errors."""
    items = [k.strip() for k in raw.split(",") if k.strip()] if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(k, str) for k in items):
        raise PolicyError(f"{where} must be a list of finding kinds, got {raw!r}")
    unknown = sorted(set(items) - set(KINDS))
    if unknown:
        raise PolicyError(f"{where}: unknown kind {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    return tuple(dict.fromkeys(items))


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key.replace("_", "-"), list(KEYS), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
