"""Set-up readings: measured from real training runs, read by dldoctor.diagnosis.regimen."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import jsonschema
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.diagnosis import Regimen
from dldoctor.diagnosis import regimen as reading
from dldoctor.regimen import measure
from dldoctor.report.stored import schema
from dldoctor.training import build_model, fit


def blobs(n: int, seed: int, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.sort(rng.integers(0, 3, size=n)) if sort else rng.integers(0, 3, size=n)
    x = 2.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))
    return x.astype(np.float32), y


def make_data(seed: int) -> dd.Splits:
    return dd.Splits(train=blobs(256, seed), dev=blobs(64, seed + 1), train_dev=blobs(64, seed + 2))


def sorted_data(seed: int) -> dd.Splits:
    return dd.Splits(
        train=blobs(256, seed, sort=True), dev=blobs(64, seed + 1), train_dev=blobs(64, seed + 2)
    )


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def readings(**changes) -> dict[str, str]:
    """{probe: status} of the set-up readings after training a tiny recipe with `changes`."""
    base = dict(name="t", model=make_model, data=make_data, lr=1e-2, batch_size=32, epochs=2)
    recipe = dd.Recipe(**{**base, **changes}).validate()
    device = torch.device("cpu")
    data = prepare(recipe.data(0), recipe.task, device, 0)
    model = build_model(recipe, 0, device)
    history = fit(model, data, recipe, seed=0)
    found = measure(recipe, data, history, model)
    return {o.probe: o.status for o in reading.assess(SimpleNamespace(regimen=found, task=recipe.task))}


def test_a_plain_recipe_raises_no_setup_warning():
    assert "warn" not in readings().values()


def test_schedule_that_reaches_zero_halfway_is_flagged():
    def halfway(optimizer, total):
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - 2 * s / total))

    assert readings(scheduler=halfway)["setup.schedule"] == "warn"
    assert "setup.schedule" not in readings(scheduler="cosine")


def test_clipping_that_binds_on_every_step_is_flagged_and_loose_clipping_is_not():
    assert readings(grad_clip=1e-4)["setup.clipping"] == "warn"
    assert readings(grad_clip=1e3)["setup.clipping"] == "ok"


def test_effective_batch_larger_than_the_training_set_is_flagged():
    assert readings(batch_size=64, accumulate=8)["setup.accumulation"] == "warn"
    assert "setup.accumulation" not in readings(batch_size=64, accumulate=2)


def test_shuffle_off_on_sorted_labels_is_flagged_only_when_sorted():
    assert readings(data=sorted_data, shuffle=False)["setup.order"] == "warn"
    assert "setup.order" not in readings(shuffle=False)
    assert "setup.order" not in readings(data=sorted_data)


def test_a_loss_summed_over_the_batch_is_flagged():
    def summed(out, y):
        return F.cross_entropy(out, y, reduction="none") * len(y)

    def smoothed(out, y):
        return F.cross_entropy(out, y, reduction="none", label_smoothing=0.1)

    assert readings(loss=summed)["setup.loss_reduction"] == "warn"
    assert "setup.loss_reduction" not in readings(loss=smoothed)


def test_mse_on_class_indices_is_inconsistent_with_the_task():
    def mse_on_indices(out, y):
        return (out[:, 0] - 10 * y.float()).square()

    assert readings(loss=mse_on_indices)["setup.loss"] == "warn"


def test_fp16_run_counts_overflow_steps_from_the_measured_norms():
    assert readings(precision="fp16")["setup.fp16"] == "ok"


REGIMEN = Regimen(
    optimizer_steps=100,
    lr=0.1,
    lr_peak=0.1,
    lr_final=0.1,
    decayed_at=None,
    warmup=False,
    diverged_at=None,
    grad_clip=None,
    clipped_share=None,
    clip_factor=None,
    scale_free=True,
    precision="fp32",
    overflow_steps=0,
    underflow_steps=0,
    measured_steps=0,
    effective_batch=64,
    n_train=1000,
    shuffle=True,
    label_order=0.0,
    custom_loss=False,
    initial_loss=1.1,
    initial_task_loss=None,
    loss_batch_scaling=None,
)


def probes(**changes) -> dict[str, str]:
    r = dataclasses.replace(REGIMEN, **changes)
    return {o.probe: o.status for o in reading.assess(SimpleNamespace(regimen=r, task="classification"))}


@pytest.mark.parametrize(
    ("changes", "probe"),
    [
        ({"diverged_at": 0.02}, "setup.warmup"),
        ({"precision": "fp16", "measured_steps": 100, "overflow_steps": 30}, "setup.fp16"),
        ({"precision": "fp16", "measured_steps": 100, "underflow_steps": 30}, "setup.fp16"),
    ],
)
def test_pure_readings_warn_on_their_fault(changes, probe):
    assert probes(**changes)[probe] == "warn"


def test_divergence_after_a_warm_up_is_not_blamed_on_the_schedule():
    assert "setup.warmup" not in probes(diverged_at=0.02, warmup=True)


def test_diagnose_with_every_new_field_reports_them_and_validates(make_recipe, cli, tmp_path):
    path = make_recipe(
        """
        import torch.nn.functional as F

        def smoothed(out, y):
            return F.cross_entropy(out, y, label_smoothing=0.1, reduction="none")

        recipe = dd.Recipe(
            name="fields", model=make_model, data=make_data, optimizer="rmsprop", lr=1e-3,
            optimizer_kwargs={"alpha": 0.9}, scheduler="onecycle", loss=smoothed, grad_clip=1e-3,
            precision="bf16", accumulate=2, shuffle=True, early_stopping=2, batch_size=32, epochs=3,
        )
        """
    )
    out = tmp_path / "r.json"
    result = cli("diagnose", path, "--json", out, "-q", "--no-hessian", "--no-easier-model")
    assert result.code in (0, 1), result.stdout + result.stderr
    report = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema()).validate(report)
    settings = report["settings"]
    assert settings["optimizer"] == "rmsprop" and settings["scheduler"] == "onecycle"
    assert settings["loss"] == "smoothed" and settings["precision"] == "bf16" and settings["accumulate"] == 2
    assert report["regimen"]["clipped_share"] == 1.0
    assert {p["probe"]: p["status"] for p in report["probes"]}["setup.clipping"] == "warn"
    assert "setup.clipping" in result.stdout
