"""The report's JSON form and its terminal rendering, without retraining where possible."""

from __future__ import annotations

import json
import math

import pytest
from rich.console import Console

import dldoctor as dd
from dldoctor.report import write_json
from dldoctor.report.console import render

GOOD = 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)\n'


@pytest.fixture(scope="module")
def diverged(tmp_path_factory):
    """A run whose loss went NaN: every number in it must still make valid JSON."""
    import numpy as np
    from torch import nn

    def blobs(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, n)
        return (np.eye(2, 3)[y] + rng.standard_normal((n, 3))).astype(np.float32), y

    recipe = dd.Recipe(
        name="nan-run",
        model=lambda: nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)),
        data=lambda seed: dd.Splits(train=blobs(400, seed), dev=blobs(100, seed + 1)),
        optimizer="sgd",
        lr=1e6,
        epochs=5,
    )
    return dd.diagnose(recipe)


def test_a_diverged_run_still_writes_strict_json(diverged, tmp_path):
    assert diverged.verdict == "optimization_failure"
    path = tmp_path / "r.json"
    write_json(diverged, path)
    data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["nonfinite_step"] is not None
    assert all(v is None or math.isfinite(v) for v in data["errors"].values())


def test_writing_leaves_no_temporary_files(diverged, tmp_path):
    write_json(diverged, tmp_path / "r.json")
    write_json(diverged, tmp_path / "r.json")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_render_explains_the_run_in_plain_words(diverged):
    console = Console(record=True, width=100)
    render(diverged.data(), console)
    text = console.export_text()
    for part in (
        "nan-run",
        "Verdict: OPTIMIZATION FAILURE",
        "NaN or infinite",
        "Lower the learning rate",
        "avoidable bias",
        "train − Bayes",
        "--min-gap",
    ):
        assert part in text


def test_healthy_report_has_no_findings_and_says_why(make_recipe, tmp_path):
    report = dd.diagnose(make_recipe(GOOD), dd.DiagnoseOptions(target_error=0.9))
    assert report.verdict == "healthy" and report.to_dict()["findings"] == []
    console = Console(record=True, width=100)
    render(report.data(), console)
    assert "within your target" in console.export_text()


def test_re_rendering_a_stored_report_does_not_import_torch(diverged, tmp_path):
    """`dldoctor report` is a CI step on machines that may not even have a GPU build of torch."""
    import subprocess
    import sys

    stored, summary = tmp_path / "report.json", tmp_path / "summary.md"
    write_json(diverged, stored)
    code = (
        "import sys; from dldoctor.cli import app;"
        f" app(['report', {str(stored)!r}, '--markdown', {str(summary)!r}, '--plots', {str(tmp_path)!r}],"
        " standalone_mode=False); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert summary.read_text().startswith("#")
