"""The bad-input and fault matrix: one row per way a user can get dldoctor wrong, or their code can
go wrong under it. Every row ends with its exit code (2 for bad input and the user's own code, 130 for
an interrupt; never 0, never 3), one line on stderr naming what is wrong, no traceback, and nothing in
the working folder written, changed or lost. New failure modes are added here as rows.

Rows run from a fresh folder holding only a tiny recipe (and what the row's `setup` writes), so
"nothing written" is checked over the whole folder. Most fail before any training starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BASE_RECIPE
from typer.testing import CliRunner

from dldoctor.check import load_baseline
from dldoctor.cli import app
from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.errors import UsageError
from dldoctor.gates import CheckPolicy
from dldoctor.outputs import write_text
from dldoctor.recipe import load_recipe

GOOD = 'recipe = dd.Recipe(name="t", model=make_model, data=make_data, **OPTIONS)\n'


@dataclass(frozen=True)
class Row:
    """`args` follow the command; {recipe} and {dir} (the working folder) are filled in."""

    name: str
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    body: str = GOOD
    code: int = 2
    setup: Callable[[Path, dict], None] | None = None


SYS_EXIT_IN_DATA = """
import sys
def data(seed):
    sys.exit(0)
recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
"""
SYS_EXIT_IN_MODEL = """
def model():
    raise SystemExit(3)
recipe = dd.Recipe(name="t", model=model, data=make_data, **OPTIONS)
"""
SYS_EXIT_AT_IMPORT = """
import sys
sys.exit(0)
"""
INTERRUPT_IN_MODEL = """
def model():
    raise KeyboardInterrupt
recipe = dd.Recipe(name="t", model=model, data=make_data, **OPTIONS)
"""
DATASET = """
class Items(torch.utils.data.Dataset):
    def __init__(self, n):
        self.x, self.y = blobs(n, 0)
    def __len__(self):
        return len(self.y)
    def __getitem__(self, i):
        if i == 5:
            {fault}
        return torch.tensor(self.x[i]), int(self.y[i])
recipe = dd.Recipe(name="t", model=make_model, data=lambda seed: dd.Splits(train=Items(200), dev=Items(50)),
                   **OPTIONS)
"""
LABEL_7 = """
data = lambda seed: dd.Splits(train=(blobs(99, seed)[0], np.full(99, 7)), dev=blobs(30, seed))
recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
"""
SOFT_LABELS_TOO_FEW = """
def data(seed):
    s = make_data(seed)
    return dd.Splits(train=s.train, dev=s.dev, soft_labels=np.full((10, 3), 1 / 3))
recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
"""


def stored_report(folder: Path, report: dict, name: str = "stored.json", **changes) -> None:
    (folder / name).write_text(json.dumps({**report, **changes}))


def params_file(folder: Path, recipe: str) -> None:
    params = {"kind": "dldoctor-params", "schema": 1, "recipe": recipe, "study": "s", "trial": 0}
    params |= {
        "metric": "dev_error",
        "value": 0.1,
        "seed": 0,
        "recipe_params": {"lr": 0.01},
        "model_params": {},
    }
    (folder / "params.json").write_text(json.dumps(params))


def damaged_study(folder: Path, _report: dict) -> None:
    """An SQLite file whose middle pages are overwritten: integrity_check fails."""
    with sqlite3.connect(folder / "study.db") as connection:
        connection.execute("CREATE TABLE trials (id INTEGER PRIMARY KEY, note TEXT)")
        connection.executemany("INSERT INTO trials (note) VALUES (?)", [("x" * 200,)] * 400)
        connection.execute("CREATE INDEX notes ON trials (note)")
    data = bytearray((folder / "study.db").read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle : middle + 4096] = b"\xde\xad\xbe\xef" * 1024
    (folder / "study.db").write_bytes(bytes(data))


DIAGNOSE, CHECK, REPORT = ("diagnose", "{recipe}"), ("check", "{recipe}"), ("report", "{dir}/stored.json")
TUNE = ("tune", "{recipe}", "--storage", "sqlite:///{dir}/s.db")
STORED = "{dir}/stored.json"


def altered(**changes) -> Callable[[Path, dict], None]:
    return lambda folder, report: stored_report(folder, report, **changes)


ROWS = [
    # The user's code ends the process, is interrupted, or raises under our loops.
    Row(
        "sys.exit in the data factory",
        (*CHECK, "--max-dev-error", "0.0001", "--json", "{dir}/r.json"),
        ("data factory called sys.exit(0)", "recipe_under_test.py:", "in data", "__name__"),
        SYS_EXIT_IN_DATA,
    ),
    Row(
        "SystemExit in the model factory",
        DIAGNOSE,
        ("factory called sys.exit(3)", "in model"),
        SYS_EXIT_IN_MODEL,
    ),
    Row(
        "sys.exit when the recipe is imported",
        (*CHECK, "--max-dev-error", "0.0001"),
        ("importing recipe_under_test.py called sys.exit(0)", "in <module>"),
        SYS_EXIT_AT_IMPORT,
    ),
    Row(
        "KeyboardInterrupt in the model factory",
        DIAGNOSE,
        ("interrupted (in", "recipe_under_test.py:", "in model"),
        INTERRUPT_IN_MODEL,
        code=130,
    ),
    Row(
        "Dataset.__getitem__ raising",
        (*DIAGNOSE, "--json", "{dir}/r.json"),
        ("reading the 'train' Dataset raised IndexError: item 5", "in __getitem__"),
        DATASET.replace("{fault}", 'raise IndexError("item 5")'),
    ),
    Row(
        "Dataset.__getitem__ calling sys.exit",
        DIAGNOSE,
        ("reading the 'train' Dataset called sys.exit(1)", "in __getitem__"),
        DATASET.replace("{fault}", "raise SystemExit(1)"),
    ),
    # Files made for another recipe or task.
    Row(
        "check --baseline of another recipe",
        (*CHECK, "--baseline", STORED),
        ("is from recipe 'other', not 't'", "--force"),
        setup=altered(recipe="other"),
    ),
    Row(
        "check --baseline of another task, even forced",
        (*CHECK, "--baseline", STORED, "--force"),
        ("is from a regression recipe",),
        setup=altered(task="regression"),
    ),
    Row(
        "diagnose --params of another recipe",
        (*DIAGNOSE, "--params", "{dir}/params.json"),
        ("params of study 's' is from recipe 'other'", "--force"),
        setup=lambda folder, _: params_file(folder, "other"),
    ),
    Row(
        "tune --from-diagnosis of another recipe",
        (*TUNE, "--from-diagnosis", STORED),
        ("the diagnosis report is from recipe 'other'", "--force"),
        setup=altered(recipe="other"),
    ),
    Row(
        "tune --from-diagnosis of another task, even forced",
        (*TUNE, "--from-diagnosis", STORED, "--force"),
        ("is from a regression recipe",),
        setup=altered(task="regression"),
    ),
    # Data the recipe returns.
    Row(
        "soft_labels of the wrong length",
        DIAGNOSE,
        ("soft_labels has 10 rows", "600 examples"),
        SOFT_LABELS_TOO_FEW,
    ),
    Row("labels outside the model's classes (already handled)", DIAGNOSE, ("label 7",), LABEL_7),
    # Output paths, all checked before any work starts.
    Row("--json under /proc", (*DIAGNOSE, "--json", "/proc/report.json"), ("--json: cannot write",)),
    Row("--json is a folder", (*DIAGNOSE, "--json", "{dir}"), ("it is a directory",)),
    Row(
        "--json under a file",
        (*CHECK, "--json", "{dir}/recipe_under_test.py/r.json"),
        ("--json: cannot write", "recipe_under_test.py is not a folder"),
    ),
    Row("--json onto a device", (*CHECK, "--json", "/dev/null"), ("not a regular file",)),
    Row("--junit in a missing folder", (*CHECK, "--junit", "{dir}/no/j.xml"), ("--junit", "does not exist")),
    Row("--markdown is a folder", (*CHECK, "--markdown", "{dir}"), ("--markdown", "directory")),
    Row("diagnose --plots under /proc", (*DIAGNOSE, "--plots", "/proc/plots"), ("--plots: cannot write",)),
    Row(
        "diagnose --errors-csv is a folder",
        (*DIAGNOSE, "--errors-csv", "{dir}"),
        ("--errors-csv", "directory"),
    ),
    Row("check --plots under /proc", (*CHECK, "--plots", "/proc/plots"), ("--plots: cannot write",)),
    Row(
        "report --plots under /proc",
        (*REPORT, "--plots", "/proc/p"),
        ("--plots: cannot write",),
        setup=altered(),
    ),
    Row("tune --plots under /proc", (*TUNE, "--plots", "/proc/p"), ("--plots: cannot write",)),
    Row("tune --export under /proc", (*TUNE, "--export", "/proc/b.json"), ("--export: cannot write",)),
    Row("tune --csv is a folder", (*TUNE, "--csv", "{dir}"), ("--csv", "directory")),
    Row(
        "lr-find --plot under /proc",
        ("lr-find", "{recipe}", "--plot", "/proc/lr.png"),
        ("--plot: cannot write",),
    ),
    Row(
        "--curve-plot under /proc",
        (*DIAGNOSE, "--learning-curve", "--curve-plot", "/proc/c.png"),
        ("--curve-plot: cannot write",),
    ),
    # Study storage.
    Row(
        "--storage sqlite:/// names no file",
        ("tune", "{recipe}", "--storage", "sqlite:///"),
        ("names no file",),
    ),
    Row("--storage not a URL", ("tune", "{recipe}", "--storage", "not a url"), ("database URL",)),
    Row(
        "--storage PostgreSQL not listening",
        ("tune", "{recipe}", "--storage", "postgresql://u@127.0.0.1:1/x"),
        ("cannot open storage", "refused"),
    ),
    Row(
        "a study file damaged in the middle",
        ("tune", "{recipe}", "--storage", "sqlite:///{dir}/study.db"),
        ("study.db is damaged", "restore it"),
        setup=damaged_study,
    ),
    # Stored reports.
    Row(
        "report with a wrongly typed key",
        REPORT,
        ("at errors.dev", "is not of type"),
        setup=lambda folder, report: stored_report(folder, report, errors={**report["errors"], "dev": "0.1"}),
    ),
    Row(
        "check --baseline with a wrongly typed key",
        (*CHECK, "--baseline", STORED),
        ("at history", "is not of type 'array'"),
        setup=altered(history=5),
    ),
    Row(
        "report that is not JSON (already handled)",
        REPORT,
        ("is not JSON",),
        setup=lambda folder, _: (folder / "stored.json").write_text("{not json"),
    ),
]
QUIET = {"diagnose", "check", "report", "tune"}  # the commands with a progress bar to silence


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """One real schema-1 report of recipe 't', the material the stored-file rows alter."""
    path = tmp_path_factory.mktemp("stored") / "recipe_t.py"
    path.write_text(BASE_RECIPE + GOOD)
    options = DiagnoseOptions(easier_model=False, probes=False, hessian=False, lr_find=False)
    return diagnose(load_recipe(path), options).to_dict()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` and a hash of its bytes (byte-code caches aside)."""
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_each_fault_ends_in_one_line_and_its_exit_code_with_nothing_written(
    row, report, tmp_path, monkeypatch
):
    recipe = tmp_path / "recipe_under_test.py"
    recipe.write_text(BASE_RECIPE + row.body)
    if row.setup is not None:
        row.setup(tmp_path, report)
    monkeypatch.chdir(tmp_path)  # no pyproject policy from above; default outputs would land here
    before = snapshot(tmp_path)
    quiet = ("-q",) if row.args[0] in QUIET else ()
    args = [a.replace("{recipe}", str(recipe)).replace("{dir}", str(tmp_path)) for a in (*row.args, *quiet)]
    result = CliRunner().invoke(app, args)
    message = result.stderr.strip()
    assert result.exit_code == row.code, f"exit {result.exit_code}: {result.stdout}{result.stderr}"
    assert "\n" not in message, f"expected one line, got:\n{message}"
    assert "Traceback" not in result.stdout + result.stderr and "internal error" not in message
    assert message.startswith("error: " if row.code == 2 else "interrupted"), message
    for fragment in row.fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert snapshot(tmp_path) == before, "a failed command must not write, change or remove a file"


def test_a_baseline_of_another_recipe_is_compared_when_forced(report, tmp_path):
    stored_report(tmp_path, report, recipe="other")
    recipe = tmp_path / "r.py"
    recipe.write_text(BASE_RECIPE + GOOD)
    policy = CheckPolicy(baseline=tmp_path / "stored.json")
    with pytest.raises(UsageError, match="--force"):
        load_baseline(policy, load_recipe(recipe))
    baseline = load_baseline(policy, load_recipe(recipe), force=True)
    assert baseline is not None and baseline.recipe == "other"


def test_a_batch_larger_than_the_training_set_is_a_warning_in_console_and_json(make_recipe, cli, tmp_path):
    path = make_recipe(
        'recipe = dd.Recipe(name="t", model=make_model, data=make_data, batch_size=5000, epochs=1)\n'
    )
    report = tmp_path / "r.json"
    result = cli("diagnose", path, "-q", "--no-probes", "--no-hessian", "--no-easier-model", "--json", report)
    assert result.code == 0, result.stderr
    assert "Warning: batch_size 5000 is larger than the training set (450 examples" in " ".join(
        result.stdout.split()
    )
    (warning,) = json.loads(report.read_text())["warnings"]
    assert warning.startswith("batch_size 5000 is larger than the training set")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_take_their_mode_from_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_text(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == mode
