"""Diagnosis from saved predictions: files in three formats, one-line errors for bad ones, the gate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from dldoctor.predictions import load_predictions
from dldoctor.report.stored import schema

SIZES = {"train": 600, "train_dev": 300, "dev": 300}


def arrays(seed: int = 0, dev_shift: float = 0.0) -> dict[str, np.ndarray]:
    """Logits of a decent 3-class model: the right class scores 2 above the others, plus noise."""
    rng = np.random.default_rng(seed)
    found: dict[str, np.ndarray] = {}
    for split, n in SIZES.items():
        y = rng.integers(0, 3, size=n)
        shift = dev_shift if split == "dev" else 0.0
        found[f"{split}_labels"] = y
        found[f"{split}_outputs"] = (2.0 * np.eye(3)[y] + rng.standard_normal((n, 3)) + shift).astype(
            np.float32
        )
    return found


def write_npz(path: Path, **changes: object) -> Path:
    found: dict[str, object] = {**arrays(), "task": "classification", **changes}
    np.savez(path, **{k: v for k, v in found.items() if v is not None})
    return path


def test_diagnose_predictions_writes_a_schema_valid_report_and_lists_what_needs_the_model(cli, tmp_path):
    report = tmp_path / "report.json"
    result = cli("diagnose", "--predictions", write_npz(tmp_path / "p.npz"), "--json", report, "-q")
    assert result.code == 0, result.stderr
    document = json.loads(report.read_text())
    jsonschema.validate(document, schema())
    assert document["source"] == "predictions"
    assert document["sizes"] == {"train": 600, "train_dev": 300, "dev": 300, "test": None}
    assert (
        document["bayes_source"] == "estimated" and document["mismatch_test"]["representation"] == "outputs"
    )
    assert document["skipped"]["hessian"] == "needs the model: not available from saved predictions"
    expected = np.mean(arrays()["dev_outputs"].argmax(axis=1) != arrays()["dev_labels"])
    assert document["errors"]["dev"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train_dev_outputs": None}, "no 'train_dev_outputs'"),
        ({"dev_labels": np.zeros(10, dtype=int)}, "'dev_outputs' has 300 rows but 'dev_labels' has 10"),
        ({"dev_labels": np.full(300, 7)}, "'dev_labels' has label 7 but 'dev_outputs' has 3 classes"),
        ({"dev_outputs": np.full((300, 3), np.nan, dtype=np.float32)}, "'dev_outputs' has NaN"),
        ({"task": "regression"}, "task is regression but 'train_outputs' has shape (600, 3)"),
        ({"task": None}, "has no 'task' key: pass --task"),
    ],
)
def test_a_bad_predictions_file_gets_one_line_naming_the_key_and_exit_2(cli, tmp_path, changes, message):
    result = cli("diagnose", "--predictions", write_npz(tmp_path / "p.npz", **changes))
    assert result.code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # one message, wrapped by the terminal at most


def test_classification_scores_on_regression_targets_name_the_task_flag(cli, tmp_path):
    path = write_npz(tmp_path / "p.npz", train_labels=np.linspace(0, 1, 600))
    result = cli("diagnose", "--predictions", path)
    assert result.code == 2 and "non-integer" in result.stderr and "--task regression" in result.stderr


def test_a_recipe_and_predictions_together_are_a_usage_error(cli, tmp_path):
    result = cli("diagnose", "recipe.py", "--predictions", write_npz(tmp_path / "p.npz"))
    assert result.code == 2 and "exactly one of RECIPE or --predictions FILE" in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_and_an_npz_of_the_same_predictions_read_the_same(tmp_path, suffix):
    found = arrays()
    rows = []
    for split in SIZES:
        frame = pd.DataFrame(found[f"{split}_outputs"], columns=[f"output_{k}" for k in range(3)])
        frame.insert(0, "label", found[f"{split}_labels"])
        frame.insert(0, "split", split)
        rows.append(frame)
    table = tmp_path / f"p{suffix}"
    if suffix == ".csv":
        pd.concat(rows).to_csv(table, index=False)
    else:
        pytest.importorskip("pyarrow")
        pd.concat(rows).to_parquet(table, index=False)
    from_csv = load_predictions(table, task="classification")
    from_npz = load_predictions(write_npz(tmp_path / "p.npz"))
    for split in SIZES:
        assert np.array_equal(from_csv.splits[split].labels, from_npz.splits[split].labels)
        csv_outputs = np.concatenate(list(from_csv.splits[split].outputs.chunks()))
        npz_outputs = np.concatenate(list(from_npz.splits[split].outputs.chunks()))
        assert np.allclose(csv_outputs, npz_outputs, atol=1e-6)


def test_npz_columns_stream_in_chunks_that_add_up_to_the_array(tmp_path, monkeypatch):
    import dldoctor.predictions as predictions

    monkeypatch.setattr(predictions, "CHUNK_BYTES", 1000)  # 83 rows of 3 float32 per chunk
    column = load_predictions(write_npz(tmp_path / "p.npz")).splits["train"].outputs
    chunks = list(column.chunks())
    assert len(chunks) == 8 and np.array_equal(np.concatenate(chunks), arrays()["train_outputs"])


def test_check_gates_predictions_and_a_stored_report_alike(cli, tmp_path):
    preds = write_npz(tmp_path / "p.npz", **{k: v for k, v in arrays(dev_shift=0.0).items()})
    first = cli(
        "check",
        "--predictions",
        preds,
        "--max-dev-error",
        "0.01",
        "--junit",
        tmp_path / "j.xml",
        "--json",
        tmp_path / "c.json",
        "-q",
    )
    assert first.code == 1 and "dev error" in first.stdout
    assert "<failure" in (tmp_path / "j.xml").read_text()
    stored = cli(
        "check", "--report", tmp_path / "c.json", "--max-dev-error", "0.9", "--markdown", tmp_path / "m.md"
    )
    assert stored.code == 0, stored.stdout
    assert "from saved predictions" in (tmp_path / "m.md").read_text()


def noisy_with_site(seed: int = 0) -> dict[str, np.ndarray]:
    """`arrays()` with a tenth of dev's and train-dev's labels flipped, and a dev `site` column whose
    site b the model is worse on (its outputs get extra noise)."""
    rng = np.random.default_rng(seed)
    found = arrays(seed)
    for split in ("train_dev", "dev"):
        labels = found[f"{split}_labels"].copy()
        flip = rng.random(len(labels)) < 0.1
        labels[flip] = (labels[flip] + rng.integers(1, 3, size=int(flip.sum()))) % 3
        found[f"{split}_labels"] = labels
    site = np.where(rng.random(SIZES["dev"]) < 0.5, "a", "b")
    found["dev_outputs"][site == "b"] += 2.0 * rng.standard_normal((int((site == "b").sum()), 3)).astype(
        np.float32
    )
    found["dev_meta_site"] = site
    return found


def test_error_analysis_runs_from_saved_predictions_on_the_held_out_splits(cli, tmp_path):
    report = tmp_path / "report.json"
    result = cli(
        "diagnose",
        "--predictions",
        write_npz(tmp_path / "p.npz", **noisy_with_site()),
        "--json",
        report,
        "-q",
    )
    assert result.code == 0, result.stderr
    document = json.loads(report.read_text())
    jsonschema.validate(document, schema())
    analysis = document["error_analysis"]
    assert "error_analysis" not in document["skipped"]
    assert set(analysis["label_noise"]) == {"train_dev", "dev"}  # train's outputs are in-sample
    assert analysis["label_noise"]["dev"]["rate"]["low"] > 0.03  # a tenth of the labels were flipped
    assert analysis["calibration"]["ece"]["low"] <= analysis["calibration"]["ece"]["high"]
    worst = analysis["slices"]["worst"]
    assert (worst["column"], worst["value"], worst["worse"]) == ("site", "b", True)


def test_label_noise_read_in_chunks_matches_the_in_memory_analysis(tmp_path, monkeypatch):
    import torch

    import dldoctor.predictions as predictions
    from dldoctor.error_analysis.label_noise import label_noise

    monkeypatch.setattr(predictions, "CHUNK_BYTES", 1000)  # 83 rows per chunk
    found = noisy_with_site()
    from dldoctor import DiagnoseOptions, diagnose_predictions

    report = diagnose_predictions(
        load_predictions(write_npz(tmp_path / "p.npz", **found)), DiagnoseOptions(bayes_error=0.05)
    )
    assert report.error_analysis is not None
    streamed = report.error_analysis.label_noise["dev"]
    probs = torch.from_numpy(found["dev_outputs"]).double().softmax(dim=1).numpy()
    whole = label_noise(found["dev_labels"], probs)
    assert streamed.rate.value == pytest.approx(whole.rate.value)
    assert [s.index for s in streamed.suspects] == [s.index for s in whole.suspects]


def test_check_gates_label_noise_and_slice_gap_on_saved_predictions(cli, tmp_path):
    preds = write_npz(tmp_path / "p.npz", **noisy_with_site())
    strict = cli(
        "check", "--predictions", preds, "--max-label-noise", "0.01", "--max-slice-gap", "0.01", "-q"
    )
    assert strict.code == 1
    assert "label noise" in strict.stdout and "slice gap" in strict.stdout
    loose = cli("check", "--predictions", preds, "--max-label-noise", "0.9", "--max-ece", "0.9", "-q")
    assert loose.code == 0, loose.stdout


def test_a_predictions_report_claiming_a_learning_rate_fails_the_schema(tmp_path):
    from dldoctor import DiagnoseOptions, diagnose_predictions

    report = diagnose_predictions(
        load_predictions(write_npz(tmp_path / "p.npz")), DiagnoseOptions(bayes_error=0.05)
    )
    document = json.loads(report.to_json())
    jsonschema.validate(document, schema())
    assert document["settings"]["lr"] is None and document["settings"]["optimizer"] == "unknown"
    document["settings"]["lr"] = 0.1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema())


def test_a_compressed_npz_streams_the_same_arrays(tmp_path, monkeypatch):
    import dldoctor.predictions as predictions

    monkeypatch.setattr(predictions, "CHUNK_BYTES", 1000)
    np.savez_compressed(tmp_path / "c.npz", **arrays(), task="classification")
    column = load_predictions(tmp_path / "c.npz").splits["dev"].outputs
    assert np.array_equal(np.concatenate(list(column.chunks())), arrays()["dev_outputs"])
