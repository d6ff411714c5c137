"""dd.monitor in a plain training loop: what it reads, what it leaves alone, and what it reports."""

from __future__ import annotations

import contextlib

import jsonschema
import numpy as np
import pytest
import torch
from torch import nn

import dldoctor as dd
from dldoctor.report.stored import load_report, schema


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = 3.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def model_and_data() -> tuple[nn.Module, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    return model, {"train": blobs(600, 0), "train_dev": blobs(300, 1), "dev": blobs(300, 2)}


def train(
    doc: dd.monitor, model: nn.Module, optimizer, splits, epochs: int = 3, outputs: bool = False
) -> None:
    x, y = splits["train"]
    for _ in range(epochs):
        for i in range(0, len(x), 64):
            loss = nn.functional.cross_entropy(model(x[i : i + 64]), y[i : i + 64])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            doc.step(loss)
        if outputs:
            with torch.no_grad():
                doc.epoch(**{k: (model(a), b) for k, (a, b) in splits.items()}, outputs=True)
        else:
            doc.epoch(**splits)


def test_the_monitor_reports_the_loop_it_watched_and_the_report_round_trips(tmp_path):
    model, splits = model_and_data()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with dd.monitor(model, optimizer, task="classification", epochs=3) as doc:
        train(doc, model, optimizer, splits)
    report = doc.diagnose()
    report.save(tmp_path / "report.json")
    document = load_report(tmp_path / "report.json")
    jsonschema.validate(document, schema())
    assert document["source"] == "monitor" and len(document["history"]) == 3
    assert len(report.history.step_losses) == 3 * 10
    assert report.gradients is not None and report.gradients.samples >= 3
    assert document["settings"]["optimizer"] == "adam" and document["settings"]["lr"] == 1e-2
    assert "sanity" in document and document["sanity"] is not None  # probes ran on the user's model


@pytest.mark.parametrize(
    ("optimizer", "settings"),
    [
        (
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4),
            {"optimizer": "sgd", "lr": 0.1, "beta": 0.9, "weight_decay": 1e-4, "batch_size": 60},
        ),
        (  # Rprop has neither momentum nor weight decay: unknown, written as null
            lambda p: torch.optim.Rprop(p, lr=0.01),
            {"optimizer": "rprop", "lr": 0.01, "beta": None, "weight_decay": None, "batch_size": 60},
        ),
    ],
)
def test_given_outputs_the_monitor_diagnoses_without_the_model_probes_and_reads_the_optimiser(
    optimizer, settings
):
    model, splits = model_and_data()
    optimizer = optimizer(model.parameters())
    with dd.monitor(model, optimizer, task="classification", epochs=2) as doc:
        train(doc, model, optimizer, splits, epochs=2, outputs=True)
    report = doc.diagnose()
    document = report.to_dict()
    jsonschema.validate(document, schema())
    assert report.source == "monitor" and report.gradients is not None
    assert report.skipped["hessian"] == "needs the model: not available from saved predictions"
    assert {key: document["settings"][key] for key in settings} == settings


def test_hooks_come_off_when_the_loop_raises():
    model, splits = model_and_data()
    optimizer = torch.optim.Adam(model.parameters())
    x, y = splits["train"]
    with pytest.raises(RuntimeError, match="user's bug"), dd.monitor(model, optimizer) as doc:
        doc.step(nn.functional.cross_entropy(model(x[:8]), y[:8]))
        raise RuntimeError("user's bug")
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_gradients_are_read_not_changed():
    model, splits = model_and_data()
    twin = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    twin.load_state_dict(model.state_dict())
    x, y = splits["train"]
    grads = []
    for net, watch in ((model, True), (twin, False)):
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        doc = dd.monitor(net, optimizer, task="classification")
        with doc if watch else contextlib.nullcontext():
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            grads.append([p.grad.clone() for p in net.parameters()])
            optimizer.step()
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters(), strict=True))


def test_under_a_grad_scaler_the_norms_are_of_the_unscaled_gradients():
    model, splits = model_and_data()
    x, y = splits["train"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**12)
    with dd.monitor(model, optimizer, task="classification") as doc:
        loss = nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaled = float(model[0].weight.grad.norm())
        scaler.step(optimizer)
        scaler.update()
        doc.step(loss)
        expected = scaled / 2.0**12
    first_layer = doc.gradients.summary().layers[0]
    assert first_layer.grad_norm == pytest.approx(expected, rel=1e-5)


def test_dd_monitor_stays_the_function_once_its_module_is_imported():
    import dldoctor.monitoring  # noqa: F401  (a submodule import must not shadow the name)

    assert callable(dd.monitor) and dd.monitor.__module__ == "dldoctor.monitoring"
