"""The three ways in — diagnose a recipe, the monitor in the user's own loop, saved predictions — agree.

Each shipped recipe is trained once by `diagnose` and once by a plain loop that takes the same steps
under the monitor; the monitored model's outputs are then saved and diagnosed with no model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch
from conftest import RECIPES

import dldoctor as dd
from dldoctor.doctor import DiagnoseOptions
from dldoctor.recipe import load_recipe
from dldoctor.report import Report
from dldoctor.report.stored import schema
from dldoctor.training import batch_loss, make_optimizer, prepare_run


def monitored(recipe: dd.Recipe, seed: int = 0) -> tuple[Report, torch.nn.Module, dict]:
    """Train as the engine does — same model, batches and optimiser — in a plain loop under the monitor."""
    data, model, _ = prepare_run(recipe, seed, torch.device("cpu"))
    optimizer = make_optimizer(recipe, model)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    splits = {name: (s.x, s.y) for name, s in data.named().items()}
    known = {"bayes_error": recipe.bayes_error}  # what the recipe knows, the user of each entry point knows
    with dd.monitor(
        model, optimizer, task=recipe.task, epochs=recipe.epochs, name=recipe.name, **known
    ) as doc:
        doc.epoch(**splits)  # before training: the loss at initialisation
        for _ in range(recipe.epochs):
            for x, y in data.train.batches(recipe.batch_size, generator):
                loss = batch_loss(model(x), y, recipe.task)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                doc.step(loss)
            doc.epoch(**splits)
    return doc.diagnose(), model, splits


def save_predictions(path: Path, model: torch.nn.Module, splits: dict, report: Report, steps: int) -> None:
    model.eval()
    with torch.no_grad():
        arrays = {f"{name}_outputs": model(x).numpy() for name, (x, _) in splits.items()}
    arrays |= {f"{name}_labels": y.numpy() for name, (_, y) in splits.items()}
    arrays |= {"losses": np.asarray(report.history.step_losses), "initial_loss": report.history.initial_loss}
    np.savez(path, task=report.task, steps_per_epoch=steps, **arrays)


@pytest.mark.parametrize("name", ["healthy", "high_variance", "optimization_failure"])
def test_monitor_and_saved_predictions_match_diagnose_on_the_same_model(
    name: str, tmp_path: Path, shipped: Callable[..., Report]
) -> None:
    recipe = load_recipe(RECIPES / f"{name}.py")
    reference = shipped(f"{name}.py")  # a default diagnosis: the range test and Hessian run there too
    by_monitor, model, splits = monitored(recipe)
    steps = len(reference.history.step_losses) // len(reference.history.epochs)
    save_predictions(tmp_path / "preds.npz", model, splits, by_monitor, steps)
    given = DiagnoseOptions(bayes_error=recipe.bayes_error)
    by_file = dd.diagnose_predictions(dd.load_predictions(tmp_path / "preds.npz"), given)
    for report, source in ((by_monitor, "monitor"), (by_file, "predictions")):
        document = report.to_dict()
        jsonschema.validate(document, schema())
        assert document["source"] == source
        assert report.verdict == reference.verdict, (source, report.diagnosis.reason)
        assert document["errors"] | {"bayes": None} == reference.to_dict()["errors"] | {"bayes": None}
    assert by_file.skipped["sanity"] == "needs the model: not available from saved predictions"
