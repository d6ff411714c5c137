"""Seed repeats: packed and one-at-a-time reruns agree, the spread reaches every renderer and a stored
report, and a failing repeat leaves the diagnosis whole."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import jsonschema
import pytest
import torch
from conftest import BASE_RECIPE
from test_report_model import assert_stored_renders_alike

import dldoctor as dd
from dldoctor.doctor import DiagnoseOptions, diagnose
from dldoctor.probes import seed_repeat
from dldoctor.probes.seed_repeat import SeedRepeats, repeat, spread_section
from dldoctor.recipe import load_recipe
from dldoctor.report.stored import schema
from dldoctor.training import prepare_run
from dldoctor.tuning.packing import Packing

CPU = torch.device("cpu")
TINY = BASE_RECIPE + 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)\n'
QUICK = {"hessian": False, "errors": False, "lr_find": False, "easier_model": False}


@pytest.fixture
def tiny(tmp_path) -> dd.Recipe:
    path = tmp_path / "tiny.py"
    path.write_text(TINY)
    return load_recipe(path)


def test_packed_and_one_at_a_time_seed_repeats_agree(tiny):
    data = prepare_run(tiny, 0, CPU)[0]
    seeds = (1, 2, 3)
    packed = repeat(tiny, data, CPU, seeds, Packing(3, "test"))
    alone = repeat(tiny, data, CPU, seeds, Packing(1, "test"))
    assert all(e is not None for e in packed)
    for mine, lone in zip(packed, alone, strict=True):
        assert mine == pytest.approx(lone, abs=1e-9)
    assert len({e["train"] for e in packed if e is not None}) > 1  # the seeds differ


def test_the_spread_reaches_json_markdown_and_console_and_a_stored_report_renders_alike(
    cli, make_recipe, tmp_path
):
    path = make_recipe('recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)')
    stored, markdown = tmp_path / "report.json", tmp_path / "summary.md"
    flags = ("--quiet", "--no-hessian", "--no-errors", "--no-lr-find", "--no-easier-model")
    fresh = cli("diagnose", path, "--seed-repeats", "3", *flags, "--json", stored)
    assert fresh.code == 0, fresh.stderr
    report = json.loads(stored.read_text())
    jsonschema.Draft202012Validator(schema()).validate(report)
    values = report["sections"]["seed_repeat"]["values"]
    assert values["seeds"] == [1, 2, 3] and values["completed"] == 3 and values["packed"] == 3
    dev = values["spread"]["dev"]
    assert dev["own"] == report["errors"]["dev"]
    assert dev["mean_interval"][0] <= dev["mean"] <= dev["mean_interval"][1]
    assert dev["sd_interval"][0] <= dev["sd"] <= dev["sd_interval"][1]
    assert "Seed-to-seed spread (3 more seeds)" in fresh.stdout
    assert "within seed noise" in " ".join(fresh.stdout.split())
    cli("report", stored, "--quiet", "--markdown", markdown)
    assert "### Seed-to-seed spread (3 more seeds)\n\n- train error over 4 runs:" in markdown.read_text()


def test_a_stored_report_with_seed_repeats_renders_like_the_fresh_one(tiny, tmp_path):
    report = diagnose(tiny, DiagnoseOptions(seed_repeats=2, **QUICK))
    assert "seed_repeat" in report.data().sections
    assert_stored_renders_alike(report, tmp_path)


def test_a_seed_repeat_that_raises_is_recorded_and_the_diagnosis_completes(tiny, monkeypatch):
    def broken(*args: object) -> None:
        raise RuntimeError("out of seeds\nsecond line")

    monkeypatch.setattr(seed_repeat, "repeat", broken)
    report = diagnose(tiny, DiagnoseOptions(seed_repeats=2, **QUICK))
    assert report.probe_failures == {"seed_repeat": "RuntimeError: out of seeds"}
    assert "seed_repeat" not in report.data().sections
    assert report.verdict == diagnose(tiny, DiagnoseOptions(**QUICK)).verdict


def test_not_asking_for_seed_repeats_trains_nothing_more(tiny, monkeypatch):
    monkeypatch.setattr(seed_repeat, "repeat", lambda *args: pytest.fail("retrained"))
    report = diagnose(tiny, DiagnoseOptions(**QUICK))
    assert report.skipped["seed_repeat"] == "not asked for (--seed-repeats K)"


def test_the_spread_leaves_out_a_diverged_seed_and_places_the_user_s_run():
    found = SeedRepeats(
        seed=0,
        seeds=(1, 2, 3, 4),
        errors=(
            {"train": 0.10, "dev": 0.20},
            None,
            {"train": 0.12, "dev": 0.24},
            {"train": 0.14, "dev": 0.16},
        ),
        own={"train": 0.08, "dev": 0.20},
        packing=Packing(1, "the model draws random numbers (dropout)"),
        seconds=3.0,
        training_seconds=1.5,
    )
    shown = spread_section(found, "classification", 0.95)
    dev = shown.values["spread"]["dev"]
    assert dev["mean"] == pytest.approx(0.20) and dev["sd"] == pytest.approx(math.sqrt(0.0032 / 3))
    assert dev["lower"] == 1 and dev["z"] == pytest.approx(0.0)
    assert shown.values["spread"]["train"]["lower"] == 0
    assert shown.values["errors"]["dev"] == [0.20, None, 0.24, 0.16]
    text = "\n".join(shown.lines)
    assert "1 of 4 seeds diverged or failed" in text
    assert "2.0× the main training" in text and "one at a time: the model draws random numbers" in text
    diverged = spread_section(replace(found, own={"train": 0.08, "dev": math.nan}), "classification", 0.95)
    assert diverged.values["spread"]["dev"]["runs"] == 3
    assert diverged.values["spread"]["dev"]["mean"] == pytest.approx(0.20)
    assert "yours (seed 0) is not finite and left out" in "\n".join(diverged.lines)


def test_a_negative_number_of_seed_repeats_is_refused_in_one_line(cli, make_recipe):
    path = make_recipe('recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)')
    refused = cli("diagnose", path, "--seed-repeats", "-1")
    assert refused.code == 2 and "--seed-repeats must be 0 (off)" in refused.stderr
    assert "Traceback" not in refused.stderr
