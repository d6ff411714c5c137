"""The Task type (multilabel beside classification and regression) and structured inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_bad_input import diagnose_fails

import dldoctor as dd
from dldoctor import inputs
from dldoctor import task as tasks
from dldoctor.bayes import multilabel
from dldoctor.data import prepare
from dldoctor.errors import DataError, ModelError
from dldoctor.model_checks import inspect
from dldoctor.training import build_model, evaluate, fit


def test_multilabel_error_is_per_label_and_exact_match_is_reported_beside_it():
    kind = tasks.get("multilabel")
    out = torch.tensor([[3.0, -2.0, 1.0, -1.0], [-1.0, -1.0, -1.0, -1.0]])
    y = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    loss, error = kind.per_example(out, y)
    assert error.tolist() == [0.25, 0.0]
    assert kind.also(out, y)["exact_match"].tolist() == [1.0, 0.0]
    expected = torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none").mean(dim=1)
    assert torch.allclose(loss, expected)
    assert torch.allclose(kind.batch_loss(out, y), expected.mean())


def test_a_custom_loss_changes_what_is_optimised_not_the_error():
    kind = tasks.get("multilabel")
    out, y = torch.randn(6, 3), (torch.rand(6, 3) > 0.5).float()
    loss, error = kind.per_example(out, y, loss=lambda o, t: (o - t).abs().sum(dim=1))
    assert torch.allclose(loss, (out - y).abs().sum(dim=1))
    assert torch.equal(error, kind.error(out, y))


def test_each_task_picks_its_interval():
    assert tasks.get("classification").error_estimate(np.array([0, 1, 0, 0.0])).method == "wilson"
    assert tasks.get("multilabel").error_estimate(np.array([0.5, 0.0, 0.25, 0.0])).method == "bootstrap"
    assert tasks.get("regression").error_estimate(np.array([0.1, 2.0, 0.3])).method == "bootstrap"
    assert tasks.get("multilabel").rate and not tasks.get("regression").rate


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([[0.0, 2.0], [1.0, 0.0]]), "must be 0 or 1"),
        (np.zeros((2, 2, 2)), "must be a 0/1 matrix (examples, labels)"),
    ],
)
def test_multilabel_targets_are_a_0_1_matrix(y, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tasks.get("multilabel").targets(torch.as_tensor(y), "train")


def test_multilabel_model_must_output_one_logit_per_label():
    with pytest.raises(ModelError, match="one logit per label"):
        tasks.get("multilabel").check_output(torch.zeros(4, 3), torch.zeros(4, 5))


def test_multilabel_recipe_with_fractional_targets_exits_2_with_one_line(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, _ = blobs(100, seed)
            return dd.Splits(train=(x, np.full((100, 2), 0.5)), dev=(x, np.zeros((100, 2))))
        recipe = dd.Recipe(name="t", model=lambda: nn.Linear(4, 2), data=data, task="multilabel", **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'train': multilabel targets must be 0 or 1")


def test_multilabel_predictions_files_are_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "p.npz"
    z = np.zeros((4, 2), np.float32)
    np.savez(path, task="multilabel", train_outputs=z, train_labels=z, dev_outputs=z, dev_labels=z)
    result = cli("diagnose", "--predictions", path)
    assert result.code == 2 and "multilabel predictions files are not read yet" in result.stderr
    assert "Traceback" not in result.stderr


class TwoInputs(torch.nn.Module):
    """A model whose forward takes keyword inputs, as a dict batch hands them over."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Linear(3, 2), torch.nn.Embedding(4, 2)

    def forward(self, dense: torch.Tensor, token: torch.Tensor) -> torch.Tensor:
        return self.a(dense) + self.b(token)


def two_input_splits(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        token = rng.integers(0, 4, n)
        dense = rng.standard_normal((n, 3)).astype(np.float32)
        y = np.stack([token % 2 == 1, dense[:, 0] > 0], axis=1)
        return {"dense": dense, "token": token}, y.astype(np.float32)

    return dd.Splits(train=split(300), dev=split(100))


def test_dict_inputs_train_a_multi_input_model_on_multilabel_targets():
    recipe = dd.Recipe(
        name="t", model=TwoInputs, data=two_input_splits, task="multilabel", lr=0.05, epochs=15, batch_size=32
    )
    data = prepare(recipe.data(0), recipe.task, torch.device("cpu"), 0)
    model = build_model(recipe, 0, torch.device("cpu"))
    before = evaluate(model, data.dev, recipe.task).error
    history = fit(model, data, recipe, seed=0)
    after = evaluate(model, data.dev, recipe.task)
    assert after.error < min(0.1, before) and history.epochs[-1].train_error < 0.1
    assert set(after.also) == {"exact_match"} and after.also["exact_match"].mean() >= after.error


def test_structured_inputs_index_and_join_leaf_by_leaf():
    x = {"a": torch.arange(6).reshape(3, 2), "b": (torch.arange(3), torch.ones(3, 1))}
    picked = inputs.index(x, torch.tensor([2, 0]))
    assert picked["a"].tolist() == [[4, 5], [0, 1]] and picked["b"][0].tolist() == [2, 0]
    joined = inputs.cat([picked, x])
    assert inputs.rows(joined) == 5 and inputs.flat(joined).shape == (5, 4)
    assert inputs.forward(lambda a, b: a.shape, x) == (3, 2)


def test_inputs_with_different_row_counts_are_refused():
    with pytest.raises(DataError, match="different numbers of rows"):
        prepare(
            dd.Splits(
                train=((np.zeros((5, 2)), np.zeros((4, 1))), np.zeros(5)), dev=(np.zeros((5, 2)), np.zeros(5))
            ),
            "regression",
            torch.device("cpu"),
            0,
        )


def test_a_final_sigmoid_before_the_multilabel_loss_is_a_model_check():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sigmoid())
    found = inspect(model, torch.randn(8, 4), torch.zeros(8, 3), "multilabel", 3)
    assert [c.check for c in found.checks] == ["output_squashed"]
    assert not inspect(torch.nn.Linear(4, 3), torch.randn(8, 4), torch.zeros(8, 3), "multilabel", 3).checks


@pytest.mark.parametrize("flip", [0.0, 0.2])
def test_per_label_knn_finds_the_flip_rate(flip):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 2))
    clean = np.stack([x[:, 0] > 0, x[:, 1] > 0, x.sum(axis=1) > 0], axis=1)
    y = clean ^ (rng.random(clean.shape) < flip)
    point, bound = multilabel.knn(
        torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y).float(), "inputs", 0.95
    )
    assert point.low - 0.03 <= flip <= point.high + 0.03
    assert bound.value <= point.value + 0.01


def test_the_monitor_takes_dict_inputs_and_multilabel_targets():
    data = two_input_splits(0)
    pairs = {
        name: ({k: torch.as_tensor(v) for k, v in x.items()}, torch.as_tensor(y))
        for name, (x, y) in (("train", data.train), ("dev", data.dev))
    }
    pairs["train_dev"] = pairs["dev"]
    torch.manual_seed(0)
    model = TwoInputs()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    x, y = pairs["train"]
    with dd.monitor(model, optimizer, task="multilabel", epochs=5, bayes_error=0.0) as doc:
        for _ in range(5):
            for rows in torch.arange(300).split(50):
                loss = tasks.get("multilabel").batch_loss(model(**inputs.index(x, rows)), y[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                doc.step(loss)
            doc.epoch(**pairs)
    report = doc.diagnose()
    assert report.task == "multilabel" and report.errors["dev"].value < 0.1
    assert report.other_errors["exact_match"]["dev"].value >= report.errors["dev"].value


def test_a_regression_loss_written_for_flat_targets_also_scores_dldoctors_linear_models():
    """The user's model returns (N,) like the targets; the sanity check's and the convex easier
    model's linear fits return (N, 1) and must reach the loss in the user's shape, not broadcast."""
    rng = np.random.default_rng(0)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
        return x, (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.1 * rng.standard_normal(n)).astype(
            np.float32
        )

    def huber(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        assert out.shape == y.shape, (out.shape, y.shape)
        return torch.nn.functional.huber_loss(out, y, reduction="none")

    recipe = dd.Recipe(
        name="flat-huber",
        model=lambda: torch.nn.Sequential(
            torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Flatten(0)
        ),
        data=lambda seed: dd.Splits(train=sample(400), dev=sample(200)),
        task="regression",
        loss=huber,
        epochs=3,
    )
    report = dd.diagnose(recipe, dd.DiagnoseOptions(hessian=False, lr_find=False, errors=False))
    assert report.probe_failures == {}
