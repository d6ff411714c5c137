"""The engine: reproducible, stops on divergence, and trains from a Dataset as from tensors."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

import dldoctor as dd
from dldoctor.data import prepare
from dldoctor.training import build_model, evaluate, fit, per_example

CPU = torch.device("cpu")


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    return (3.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))).astype(np.float32), y


def recipe(**changes) -> dd.Recipe:
    base = dd.Recipe(
        name="t",
        model=lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)),
        data=lambda seed: dd.Splits(train=blobs(800, seed), dev=blobs(200, seed + 1)),
        lr=1e-2,
        epochs=4,
    )
    return base.replace(**changes)


def train(r: dd.Recipe, seed: int = 0):
    data = prepare(r.data(seed), r.task, CPU, seed)
    model = build_model(r, seed, CPU)
    return model, data, fit(model, data, r, seed=seed)


def test_same_seed_same_run():
    _, _, a = train(recipe())
    _, _, b = train(recipe())
    assert a.step_losses == b.step_losses and a.epochs[-1].dev_error == b.epochs[-1].dev_error


def test_training_reduces_the_loss_and_records_every_epoch():
    _, data, history = train(recipe())
    assert len(history.epochs) == 4 and [r.epoch for r in history.epochs] == [1, 2, 3, 4]
    assert history.epochs[-1].train_loss < 0.5 * history.initial_loss
    assert len(history.step_losses) == 4 * -(-len(data.train) // 64)
    assert history.nonfinite_step is None


def test_a_nonfinite_loss_stops_training_after_that_epoch():
    _, _, history = train(recipe(optimizer="sgd", lr=1e4, epochs=20))
    assert history.nonfinite_step is not None
    assert len(history.epochs) < 20


def test_epoch_callback_sees_every_epoch():
    seen = []
    r = recipe()
    data = prepare(r.data(0), r.task, CPU, 0)
    fit(build_model(r, 0, CPU), data, r, seed=0, on_epoch=lambda rec, total: seen.append((rec.epoch, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


class Noisy(Dataset):
    """Out-of-core style data: items are produced on demand, with augmentation noise."""

    def __init__(self, n: int, seed: int) -> None:
        self.x, self.y = blobs(n, seed)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return torch.from_numpy(self.x[i]) + 0.01 * torch.randn(4), int(self.y[i])


def test_a_torch_dataset_trains_like_arrays():
    r = recipe(data=lambda seed: dd.Splits(train=Noisy(800, seed), dev=blobs(200, seed + 1)))
    model, data, history = train(r)
    assert history.epochs[-1].train_loss < 0.5 * history.initial_loss
    assert evaluate(model, data.dev, "classification").error < 0.2


def test_evaluate_matches_a_hand_computation():
    model, data, _ = train(recipe())
    result = evaluate(model, data.dev, "classification")
    with torch.no_grad():
        logits = model(data.dev.x)
    assert int(result.errors.sum()) == int((logits.argmax(1) != data.dev.y).sum())
    assert result.losses.shape == (len(data.dev),)


def test_regression_error_is_mean_squared_error_over_outputs():
    out = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    y = torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    loss, err = per_example(out, y, "regression")
    assert loss.tolist() == [2.5, 2.0] and torch.equal(loss, err)


def test_a_trailing_batch_of_one_is_dropped_so_batchnorm_can_train():
    model = lambda: nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))  # noqa: E731
    r = recipe(
        model=model,
        batch_size=64,
        data=lambda seed: dd.Splits(train=blobs(65, seed), train_dev=blobs(20, seed), dev=blobs(20, seed)),
    )
    _, _, history = train(r)
    assert len(history.step_losses) == 4 and history.nonfinite_step is None
