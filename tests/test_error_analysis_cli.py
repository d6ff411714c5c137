"""Error analysis end to end: `diagnose` writes its section, CSV and PNGs; `check` gates on it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.error_analysis.label_noise import Suspect, label_noise
from dldoctor.report.error_plots import write_suspects_grid
from dldoctor.report.stored import schema

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Dev labels of site "b" (the first 100 of 300) have 30 moved to the next class: site b is worse,
# and dev carries label noise the model trained on clean train can see.
NOISY_SITE = """
def noisy_data(seed):
    x, y = blobs(300, seed + 1)
    y = y.copy()
    y[:30] = (y[:30] + 1) % 3
    site = np.where(np.arange(300) < 100, "b", "a")
    return dd.Splits(train=blobs(600, seed), dev=(x, y), metadata={"dev": {"site": site}})

recipe = dd.Recipe(name="noisy-site", model=make_model, data=noisy_data, **OPTIONS)
"""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR" and len(data) > 5_000
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    """One `diagnose` of the noisy-site recipe writing every error-analysis output."""
    from conftest import BASE_RECIPE
    from typer.testing import CliRunner

    from dldoctor.cli import app

    folder = tmp_path_factory.mktemp("noisy")
    (folder / "noisy.py").write_text(BASE_RECIPE + NOISY_SITE)
    result = CliRunner().invoke(
        app,
        [
            "diagnose", str(folder / "noisy.py"), "-q", "--json", str(folder / "r.json"),
            "--errors-csv", str(folder / "suspects.csv"), "--plots", str(folder / "plots"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder, result.stdout, json.loads((folder / "r.json").read_text())


def test_diagnose_reports_the_error_analysis_and_it_validates(noisy_run):
    _, stdout, document = noisy_run
    jsonschema.Draft202012Validator(schema()).validate(document)
    analysis = document["error_analysis"]
    dev = analysis["label_noise"]["dev"]
    assert dev["rate"]["low"] <= 0.1 <= dev["rate"]["high"] and dev["flagged"] > 15
    assert analysis["slices"]["worst"]["value"] == "b" and analysis["slices"]["worst"]["worse"]
    assert sum(map(sum, analysis["classes"]["matrix"])) == 300
    for part in ("Error analysis (dev)", "Label noise in dev", "site=b", "Bonferroni", "Calibration: ECE"):
        assert part in stdout


def test_the_csv_has_one_row_per_flagged_example(noisy_run):
    folder, _, document = noisy_run
    frame = pd.read_csv(folder / "suspects.csv")
    assert list(frame.columns) == [
        "split",
        "rank",
        "index",
        "given",
        "suggested",
        "self_confidence",
        "margin",
    ]
    flagged = {name: n["flagged"] for name, n in document["error_analysis"]["label_noise"].items()}
    assert frame.groupby("split").size().to_dict() == {k: v for k, v in flagged.items() if v}
    assert (frame[frame.split == "dev"]["index"] < 30).mean() >= 0.7  # the moved labels are the first 30


def test_confusion_and_reliability_plots_are_real_pngs(noisy_run):
    folder, _, _ = noisy_run
    for name in ("confusion.png", "reliability.png"):
        width, height = png_size(folder / "plots" / name)
        assert 400 <= width <= 2000 and 400 <= height <= 2000


def test_a_grid_of_suspicious_images_is_drawn_and_vectors_get_none(tmp_path):
    rng = np.random.default_rng(0)
    probs = np.full((40, 3), 0.05)
    probs[np.arange(40), np.arange(40) % 3] = 0.9
    labels = np.arange(40) % 3
    labels[:5] = (labels[:5] + 1) % 3
    noise = label_noise(labels, probs)
    images = rng.random((len(noise.suspects), 1, 8, 8))
    analysis = ErrorAnalysis("dev", label_noise={"dev": noise}, suspect_inputs=images)
    width, height = png_size(write_suspects_grid(analysis, tmp_path))
    assert width > height > 100 and isinstance(noise.suspects[0], Suspect)
    flat = ErrorAnalysis("dev", label_noise={"dev": noise}, suspect_inputs=images[:, 0, 0])
    assert write_suspects_grid(flat, tmp_path / "flat") is None


def test_check_gates_on_label_noise_ece_and_the_worst_slice(make_recipe, cli, tmp_path):
    path = make_recipe(NOISY_SITE)
    out = tmp_path / "check.json"
    found = cli(
        "check", path, "-q", "--json", out,
        "--max-label-noise", "0.01", "--max-slice-gap", "0.05", "--max-ece", "0.99",
    )  # fmt: skip
    assert found.code == 1, found.stdout
    rules = {r["rule"]: r["status"] for r in json.loads(out.read_text())["check"]["rules"]}
    assert rules == {
        "dev label noise ≤ 1%": "FAIL",
        "worst dev slice gap ≤ 5 pts": "FAIL",
        "dev calibration error (ECE) ≤ 99%": "PASS",
    }


def test_errors_csv_without_the_analysis_is_a_usage_error(make_recipe, cli, tmp_path):
    path = make_recipe(NOISY_SITE)
    found = cli("diagnose", path, "-q", "--no-errors", "--errors-csv", tmp_path / "s.csv")
    assert found.code == 2 and "--errors-csv needs the error analysis" in found.stderr


def test_a_stored_report_renders_the_section_and_its_plots_without_the_run(noisy_run, cli, tmp_path):
    folder, _, _ = noisy_run
    found = cli("report", folder / "r.json", "-q", "--markdown", tmp_path / "s.md", "--plots", tmp_path / "p")
    assert found.code == 0, found.stderr
    text = (tmp_path / "s.md").read_text()
    assert "### Error analysis (dev)" in text and "cleaning these labels can take off at most" in text
    for name in ("confusion.png", "reliability.png"):
        png_size(tmp_path / "p" / name)
    assert not (tmp_path / "p" / "suspects.png").exists()  # the grid needs the inputs: live runs only


def test_folds_give_train_out_of_sample_label_noise(make_recipe):
    import dldoctor as dd

    path = make_recipe(NOISY_SITE)
    options = dd.DiagnoseOptions(folds=2, probes=False, hessian=False, easier_model=False)
    analysis = dd.diagnose(path, options).error_analysis
    assert analysis is not None and set(analysis.label_noise) == {"train", "train_dev", "dev"}
    train, train_dev = analysis.label_noise["train"], analysis.label_noise["train_dev"]
    assert train.n + train_dev.n == 600 and train.rate.high < 0.05  # train's labels are clean
