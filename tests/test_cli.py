"""The command line end to end: report, JSON contract, exit codes, entry points."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from conftest import RECIPES, REPO

GOOD = 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)\n'


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory, shipped):
    """The session's diagnosis of the digits demo, its JSON and its rendering by `dldoctor report` (the
    console `diagnose` prints: a stored report renders alike, see test_recipes)."""
    from typer.testing import CliRunner

    from dldoctor.cli import app

    report = tmp_path_factory.mktemp("digits") / "report.json"
    shipped("digits.py").save(report)
    result = CliRunner().invoke(app, ["report", str(report)])
    return result, json.loads(report.read_text())


def test_digits_report_prints_every_section(digits_run):
    result, _ = digits_run
    assert result.exit_code == 0, result.stderr
    for part in (
        "digits-mlp",
        "Errors",
        "train-dev",
        "Where the error comes from",
        "Verdict: HEALTHY",
        "Nothing material to gain",
        "Easier model (convex)",
        "Optimisation probes",
        "Bayes error: estimated",
    ):
        assert part in result.stdout


def test_json_follows_the_contract(digits_run):
    _, report = digits_run
    assert report["schema"] == 1 and report["recipe"] == "digits-mlp"
    assert report["verdict"] == "healthy" and report["findings"] == []  # total excess ≈ 0 (issue 10)
    assert report["total_excess"] == pytest.approx(report["errors"]["dev"] - report["errors"]["bayes"])
    assert set(report["errors"]) == {"bayes", "train", "train_dev", "dev", "test"}
    assert report["errors"]["test"] is None and report["gaps"]["dev_overfit"] is None
    for name in ("train", "train_dev", "dev"):
        low, high = report["intervals"][name]
        assert low <= report["errors"][name] <= high
    assert report["bayes_source"] == "estimated" and report["bayes_method"]
    assert report["bayes_interval"][0] <= report["errors"]["bayes"] <= report["bayes_interval"][1]
    gaps = report["gaps"]
    assert gaps["variance"] == pytest.approx(report["errors"]["train_dev"] - report["errors"]["train"])
    assert gaps["avoidable_bias"] == pytest.approx(report["errors"]["train"] - report["errors"]["bayes"])
    assert gaps["data_mismatch"] == pytest.approx(report["errors"]["dev"] - report["errors"]["train_dev"])
    assert len(report["history"]) == 50 and set(report["history"][0]) >= {"epoch", "train_loss", "dev_error"}
    assert report["device"] == str(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    assert report["seconds"] > 0 and report["sizes"]["train_dev"] == 500


def test_fail_on_exits_1_only_for_a_kind_that_was_found(cli, make_recipe):
    path = make_recipe(
        """
        def shifted(seed):
            x, y = blobs(600, seed)
            return dd.Splits(train=(x, y), dev=(x[:300] + 2.5, y[:300]))
        recipe = dd.Recipe(name="shifted", model=make_model, data=shifted, **OPTIONS)
        """
    )
    assert cli("diagnose", path, "-q", "--fail-on", "high_bias,dev_overfit").code == 0
    failing = cli("diagnose", path, "-q", "--fail-on", "high_bias, data_mismatch")
    assert failing.code == 1 and "Failing: found data_mismatch" in failing.stdout


def test_fail_on_exits_1_for_the_shipped_mismatch_recipe(cli):
    result = cli("diagnose", RECIPES / "data_mismatch.py", "-q", "--fail-on", "high_variance,data_mismatch")
    assert result.code == 1 and "Failing: found data_mismatch" in result.stdout


def test_options_override_the_recipe(cli, make_recipe, tmp_path):
    report = tmp_path / "r.json"
    result = cli(
        "diagnose",
        make_recipe(GOOD),
        "-q",
        "--epochs",
        "2",
        "--seed",
        "5",
        "--bayes-error",
        "0.02",
        "--device",
        "cpu",
        "--json",
        report,
    )
    assert result.code == 0, result.stderr
    data = json.loads(report.read_text())
    assert len(data["history"]) == 2 and data["settings"]["seed"] == 5
    assert data["bayes_source"] == "given" and data["errors"]["bayes"] == 0.02 and data["device"] == "cpu"


def test_target_error_makes_a_good_enough_model_healthy(cli, make_recipe, tmp_path):
    report = tmp_path / "r.json"
    assert cli("diagnose", make_recipe(GOOD), "-q", "--target-error", "0.5", "--json", report).code == 0
    data = json.loads(report.read_text())
    assert data["verdict"] == "healthy" and "within your target" in data["reason"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_is_a_usage_error(cli, make_recipe):
    result = cli("diagnose", make_recipe(GOOD), "--device", "cuda", "-q")
    assert result.code == 2 and "CUDA is not available" in result.stderr


def test_python_dash_m_and_the_console_script_run():
    version = subprocess.run([sys.executable, "-m", "dldoctor", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("dldoctor ")
    usage = subprocess.run(
        [sys.executable, "-m", "dldoctor", "diagnose"], capture_output=True, text=True, cwd=REPO
    )
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_probes_can_be_switched_off_and_say_so(cli, make_recipe, tmp_path):
    report = tmp_path / "r.json"
    args = ("--no-probes", "--no-hessian", "--no-easier-model", "--no-lr-find", "-q", "--json", report)
    result = cli("diagnose", make_recipe(GOOD), *args)
    assert result.code == 0, result.stderr
    data = json.loads(report.read_text())
    assert {"sanity", "gradients", "hessian", "easier_model.convex"} <= set(data["skipped"])
    assert data["sanity"] is None and data["critical_point"] is None and data["easier_models"] == []
    assert all(p["probe"].startswith("curve.") for p in data["probes"])
    assert "Not run — hessian: turned off (--no-hessian)" in result.stdout


def test_json_carries_every_probe_reading(digits_run):
    _, report = digits_run
    assert report["critical_point"]["verdict"] in ("local minimum", "not a critical point")
    assert 0 <= report["critical_point"]["minimum_ratio"] <= 1
    assert report["gradients"]["samples"] > 0 and report["sanity"]["batch_size"] == 16
    assert {p["probe"] for p in report["probes"]} >= {
        "sanity.one_batch",
        "gradients.flow",
        "hessian.critical_point",
    }
    assert report["easier_models"][0]["kind"] == "convex"
