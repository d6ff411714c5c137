"""The recipe's training fields: optimiser, kwargs, schedule, loss, clipping, precision, accumulation,
shuffling and early stopping — validated with one-line errors, and honoured by the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dldoctor as dd
from dldoctor.data import TensorSplit, prepare
from dldoctor.errors import RecipeError, UserCodeError
from dldoctor.training import build_model, evaluate, fit, make_optimizer


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = 2.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))
    return x.astype(np.float32), y


def make_data(seed: int) -> dd.Splits:
    return dd.Splits(train=blobs(256, seed), dev=blobs(128, seed + 1), train_dev=blobs(64, seed + 2))


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def recipe(**changes) -> dd.Recipe:
    base = dict(name="t", model=make_model, data=make_data, lr=1e-2, batch_size=32, epochs=2)
    return dd.Recipe(**{**base, **changes}).validate()


def train(r: dd.Recipe, seed: int = 0):
    device = torch.device("cpu")
    data = prepare(r.data(seed), r.task, device, seed)
    model = build_model(r, seed, device)
    return model, data, fit(model, data, r, seed=seed)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"optimizer": "lbfgs"}, "needs a closure"),
        ({"optimizer_kwargs": {"foo": 1}}, "Adam takes no argument 'foo'"),
        ({"optimizer_kwargs": {"eps": -1.0}}, "Adam rejects optimizer_kwargs"),
        ({"optimizer": "sgd", "optimizer_kwargs": {"momentum": 0.5}}, "set it with beta="),
        ({"optimizer_kwargs": {"betas": (0.8, 0.99)}}, "disagrees with beta"),
        ({"optimizer_kwargs": {"lr": 0.1}}, "set it with lr="),
        ({"optimizer": "rprop", "weight_decay": 0.1}, "Rprop has no weight decay"),
        ({"optimizer": lambda *a: None, "optimizer_kwargs": {"eps": 1.0}}, "apply only to a named"),
        ({"scheduler": "linear"}, "unknown scheduler 'linear'"),
        ({"loss": 3}, "`loss` must be a function"),
        ({"grad_clip": 0.0}, "grad_clip must be a number"),
        ({"precision": "fp8"}, "unknown precision 'fp8'"),
        ({"accumulate": 0}, "accumulate must be a positive integer"),
        ({"shuffle": "yes"}, "shuffle must be True or False"),
        ({"early_stopping": 0}, "early_stopping must be a positive integer"),
    ],
)
def test_bad_training_field_is_named_in_one_line(changes, message):
    with pytest.raises(RecipeError, match=message) as caught:
        recipe(**changes)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["RMSprop", "nadam", "adagrad", "adadelta", "adamax", "radam", "asgd", "rprop", "adafactor"]
)
def test_any_torch_optimiser_trains_by_name(name):
    lr = {"adadelta": 1.0, "RMSprop": 1e-3}.get(name, 1e-2)
    _, _, history = train(recipe(optimizer=name, lr=lr))
    assert history.epochs[-1].train_loss < history.initial_loss


@pytest.mark.parametrize(("name", "read"), [("rmsprop", "momentum"), ("nadam", "betas"), ("sgd", "momentum")])
def test_beta_is_the_first_moment_coefficient(name, read):
    optimizer = make_optimizer(recipe(optimizer=name, beta=0.7), make_model())
    value = optimizer.param_groups[0][read]
    assert (value[0] if read == "betas" else value) == 0.7


def test_optimizer_kwargs_reach_the_optimiser_and_betas_keeps_beta2():
    r = recipe(optimizer_kwargs={"eps": 1e-6, "betas": (0.9, 0.98)})
    group = make_optimizer(r, make_model()).param_groups[0]
    assert group["eps"] == 1e-6 and group["betas"] == (0.9, 0.98)


def test_callable_optimizer_gets_params_lr_beta_weight_decay():
    seen = {}

    def build(params, lr, beta, weight_decay):
        seen.update(lr=lr, beta=beta, weight_decay=weight_decay)
        return torch.optim.SGD(params, lr=lr, momentum=beta)

    _, _, history = train(recipe(optimizer=build, beta=0.5, weight_decay=1e-4))
    assert seen == {"lr": 1e-2, "beta": 0.5, "weight_decay": 1e-4}
    assert history.epochs[-1].train_loss < history.initial_loss


def test_callable_optimizer_returning_something_else_names_its_file():
    def build(params, lr, beta, weight_decay):
        return "sgd"

    with pytest.raises(RecipeError, match=r"optimizer \(.*test_training_fields.py:\d+\) returned a str"):
        train(recipe(optimizer=build))


def test_named_schedules_shape_the_learning_rate_per_optimiser_step():
    steps = 2 * math.ceil(256 / 32)
    cosine = train(recipe(scheduler="cosine"))[2].lrs
    onecycle = train(recipe(scheduler="onecycle"))[2].lrs
    warm = train(recipe(scheduler="warmup_cosine", epochs=8))[2].lrs
    step = train(recipe(scheduler="step", epochs=3))[2].lrs
    assert len(cosine) == len(onecycle) == steps and len(warm) == 4 * steps
    assert cosine[0] == pytest.approx(1e-2) and cosine[-1] < 1e-3
    assert max(onecycle) == pytest.approx(1e-2, rel=0.05) and onecycle[0] < 1e-3
    assert warm[0] < warm[1] < warm[2] and warm[-1] < 1e-3
    assert sorted(set(np.round(np.array(step) / 1e-2, 6))) == [0.01, 0.1, 1.0]


def test_callable_scheduler_is_stepped_once_per_optimiser_step():
    calls = []

    def schedule(optimizer, total_steps):
        calls.append(total_steps)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 / (1 + s))

    history = train(recipe(scheduler=schedule, accumulate=2))[2]
    assert calls == [2 * math.ceil(8 / 2)]
    assert history.lrs == pytest.approx([1e-2 / (1 + s) for s in range(calls[0])])


def test_custom_loss_is_optimised_but_the_error_stays_misclassification():
    def smoothed(out, y):
        return F.cross_entropy(out, y, label_smoothing=0.1, reduction="none")

    model, data, history = train(recipe(loss=smoothed, epochs=3))
    result = evaluate(model, data.dev, "classification", loss=smoothed)
    x, y = data.dev.x, data.dev.y
    with torch.no_grad():
        assert result.loss == pytest.approx(float(smoothed(model(x), y).mean()), rel=1e-5)
        assert result.error == pytest.approx(float((model(x).argmax(1) != y).float().mean()))
    assert history.epochs[-1].train_loss < history.initial_loss


def test_loss_returning_a_scalar_names_the_users_file_and_line():
    def mean_loss(out, y):
        return F.cross_entropy(out, y)

    with pytest.raises(RecipeError, match=r"loss \(.*fields.py:\d+\) returned \(\) for a batch"):
        train(recipe(loss=mean_loss))


def test_loss_that_raises_points_at_the_users_line():
    def broken(out, y):
        return out.sum(dim=5)

    with pytest.raises(UserCodeError, match=r"loss raised IndexError.*test_training_fields.py:\d+"):
        train(recipe(loss=broken))


def test_clipping_records_norms_before_clipping_and_bounds_the_step():
    _, _, clipped = train(recipe(grad_clip=1e-3, optimizer="sgd", beta=0.0, lr=1.0, epochs=1))
    assert len(clipped.grad_norms) == len(clipped.lrs) == 8
    assert min(clipped.grad_norms) > 1e-3  # the norms read are the unclipped ones
    assert train(recipe())[2].grad_norms == []  # measured only when clipping or fp16


def test_accumulating_two_half_batches_matches_one_full_batch():
    plain = dict(optimizer="sgd", beta=0.0, shuffle=False, epochs=1)
    whole, _, _ = train(recipe(batch_size=64, **plain))
    halves, _, history = train(recipe(batch_size=32, accumulate=2, **plain))
    assert len(history.lrs) == 4 and len(history.step_losses) == 8
    for a, b in zip(whole.parameters(), halves.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_shuffle_off_keeps_the_stored_order_and_drops_only_a_last_single_example():
    split = TensorSplit("train", torch.arange(10.0)[:, None], torch.arange(10))
    batches = list(split.batches(3, torch.Generator().manual_seed(0), shuffle=False))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_on_cpu(precision):
    _, _, history = train(recipe(precision=precision, epochs=3))
    assert all(math.isfinite(v) for v in history.step_losses)
    assert history.epochs[-1].train_loss < history.initial_loss
    assert bool(history.grad_norms) == (precision == "fp16")  # fp16 counts overflow steps by the norm


def test_early_stopping_restores_the_best_epoch():
    def tiny(seed):
        return dd.Splits(train=blobs(24, seed), dev=blobs(200, seed + 1), train_dev=blobs(24, seed + 2))

    def wide():
        return nn.Sequential(nn.Linear(4, 256), nn.ReLU(), nn.Linear(256, 3))

    r = recipe(data=tiny, model=wide, lr=5e-2, batch_size=8, epochs=40, early_stopping=2)
    model, data, history = train(r)
    dev_losses = [e.dev_loss for e in history.epochs]
    assert history.best_epoch == 1 + int(np.argmin(dev_losses))
    assert len(history.epochs) == history.best_epoch + 2 < 40
    assert evaluate(model, data.dev, "classification").loss == pytest.approx(min(dev_losses), rel=1e-6)


def test_gradient_monitor_reads_unscaled_unclipped_norms_per_optimiser_step():
    from dldoctor.gradients import GradientMonitor

    def monitored(**changes):
        r = recipe(epochs=1, **changes)
        device = torch.device("cpu")
        data = prepare(r.data(0), r.task, device, 0)
        model = build_model(r, 0, device)
        monitor = GradientMonitor(model, total_steps=8, samples=8)
        history = fit(model, data, r, seed=0, monitor=monitor)
        return monitor.summary(), history

    plain, _ = monitored(optimizer="sgd", beta=0.0)
    mixed, history = monitored(optimizer="sgd", beta=0.0, precision="fp16", grad_clip=1e-4, accumulate=2)
    assert mixed.samples == len(history.lrs) == 4  # one reading per optimiser step
    ratio = mixed.layers[0].grad_norm / plain.layers[0].grad_norm
    assert 0.3 < ratio < 3  # neither scaled by the grad scaler (65536×) nor clipped (1e-4)
    assert mixed.layers[0].update_ratio < plain.layers[0].update_ratio  # the step itself was clipped
