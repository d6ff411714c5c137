"""Every bad input exits 2 with one line on stderr that says what is wrong — never a traceback —
and never leaves a half-written report behind."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD = 'recipe = dd.Recipe(name="t", model=make_model, data=make_data, **OPTIONS)\n'


def assert_usage_error(result, *fragments: str) -> None:
    assert result.code == 2, result.stdout + result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: "), message
    assert "\n" not in message, f"expected one line, got:\n{message}"
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def diagnose_fails(cli, recipe: Path, tmp_path: Path, *fragments: str) -> None:
    report = tmp_path / "report.json"
    result = cli("diagnose", recipe, "--json", report, "-q")
    assert_usage_error(result, *fragments)
    assert not report.exists(), "a failed run must not write a report"


def test_missing_recipe_file(cli, tmp_path):
    diagnose_fails(cli, tmp_path / "nope.py", tmp_path, "no recipe file at", "nope.py")


def test_file_without_recipe(cli, make_recipe, tmp_path):
    diagnose_fails(cli, make_recipe("x = 1\n"), tmp_path, "defines no `recipe`", "PATH:NAME")


def test_named_attribute_missing(cli, make_recipe, tmp_path):
    path = make_recipe(GOOD)
    diagnose_fails(cli, f"{path}:other", tmp_path, "defines no `other`")


def test_recipe_of_wrong_type(cli, make_recipe, tmp_path):
    diagnose_fails(cli, make_recipe("recipe = {'name': 't'}\n"), tmp_path, "is a dict, not a dldoctor.Recipe")


def test_syntax_error_in_recipe(cli, make_recipe, tmp_path):
    path = make_recipe("recipe = (\n")
    diagnose_fails(cli, path, tmp_path, "importing", "SyntaxError", path.name)


def test_recipe_raising_at_import(cli, make_recipe, tmp_path):
    path = make_recipe("import not_a_module_anywhere\n")
    diagnose_fails(cli, path, tmp_path, "ModuleNotFoundError", f"{path.name}:")


def test_model_factory_raising_points_at_user_code(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def broken_model():
            raise ValueError("width must be even")
        recipe = dd.Recipe(name="t", model=broken_model, data=make_data, **OPTIONS)
        """
    )
    diagnose_fails(
        cli, path, tmp_path, "model factory raised ValueError: width must be even", "in broken_model"
    )
    result = cli("diagnose", path, "-q")
    assert "dldoctor/" not in result.stderr, "our own frames must not be shown"


def test_data_factory_raising_points_at_user_code(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def load(seed):
            return np.load("missing-file.npy")
        def broken_data(seed):
            return load(seed)
        recipe = dd.Recipe(name="t", model=make_model, data=broken_data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "data factory raised FileNotFoundError", "in broken_data", "in load")


def test_data_factory_returning_wrong_type(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="t", model=make_model, data=lambda seed: blobs(10, seed), **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "returned a tuple, not dldoctor.Splits")


def test_split_of_wrong_type(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        data = lambda seed: dd.Splits(train=[1, 2, 3], dev=blobs(30, seed))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'train' must be a pair (X, y)")


def test_x_y_length_mismatch(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            return dd.Splits(train=blobs(100, seed), dev=(x, y[:-1]))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'dev'", "X has 100 rows but y has 99")


def test_labels_outside_model_classes(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            y[0] = 7
            return dd.Splits(train=(x, y), dev=blobs(50, seed))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "label 7", "outputs 3 classes", "[0, 3)")


def test_negative_labels(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            return dd.Splits(train=(x, y - 1), dev=blobs(50, seed))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "label -1 is negative")


def test_fractional_labels_for_classification(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            return dd.Splits(train=(x, y + 0.5), dev=blobs(50, seed))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "must be integers", "task='regression'")


def test_nan_in_inputs(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            x[3, 1] = np.nan
            x[5, 0] = np.inf
            return dd.Splits(train=(x, y), dev=blobs(50, seed))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'train'", "NaN or infinite values in 2 of 100")


def test_inf_in_regression_targets(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            clean = y.astype(np.float32)
            broken = clean.copy()
            broken[0] = np.inf
            return dd.Splits(train=(x, broken), dev=(x, clean))
        model = lambda: nn.Linear(4, 1)
        recipe = dd.Recipe(name="t", model=model, data=data, task="regression", **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'train': y contains NaN or infinite")


def test_empty_split(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            return dd.Splits(train=(x, y), dev=(x[:0], y[:0]))
        recipe = dd.Recipe(name="t", model=make_model, data=data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "split 'dev' is empty")


def test_classifier_with_a_single_output(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="t", model=lambda: nn.Linear(4, 1), data=make_data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "(batch, classes) logits", "returned shape (2, 1)")


def test_regression_output_shape_mismatch(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        def data(seed):
            x, y = blobs(100, seed)
            return dd.Splits(train=(x, y.astype(np.float32)), dev=(x, y.astype(np.float32)))
        recipe = dd.Recipe(name="t", model=lambda: nn.Linear(4, 3), data=data, task="regression", **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "must match the targets", "targets of shape (2,)", "(2, 3)")


def test_model_forward_raising(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="t", model=lambda: nn.Linear(5, 3), data=make_data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "forward pass raised RuntimeError")


def test_factory_returning_something_else(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="t", model=lambda: "a model", data=make_data, **OPTIONS)
        """
    )
    diagnose_fails(cli, path, tmp_path, "returned a str, not a torch.nn.Module")


def test_unknown_optimizer(cli, make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="t", model=make_model, data=make_data, optimizer="adagrad")
        """
    )
    diagnose_fails(cli, path, tmp_path, "unknown optimizer 'adagrad'", "adam, adamw, sgd")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lr", "0.0"),
        ("lr", "-1e-3"),
        ("batch_size", "0"),
        ("batch_size", "2.5"),
        ("epochs", "0"),
        ("beta", "1.0"),
    ],
)
def test_out_of_range_hyperparameters(cli, make_recipe, tmp_path, field, value):
    path = make_recipe(f'recipe = dd.Recipe(name="t", model=make_model, data=make_data, {field}={value})\n')
    diagnose_fails(cli, path, tmp_path, field)


def test_unknown_task(cli, make_recipe, tmp_path):
    path = make_recipe('recipe = dd.Recipe(name="t", model=make_model, data=make_data, task="ranking")\n')
    diagnose_fails(cli, path, tmp_path, "unknown task 'ranking'", "classification, regression")


def test_json_path_not_writable_fails_before_training(cli, make_recipe, tmp_path):
    path = make_recipe(GOOD)
    target = tmp_path / "no-such-folder" / "report.json"
    result = cli("diagnose", path, "--json", target, "-q")
    assert_usage_error(result, "--json: cannot write", "does not exist")
    assert "Verdict" not in result.stdout, "the check must come before training"


def test_json_path_is_a_directory(cli, make_recipe, tmp_path):
    result = cli("diagnose", make_recipe(GOOD), "--json", tmp_path, "-q")
    assert_usage_error(result, "it is a directory")


def test_unknown_fail_on_kind(cli, make_recipe, tmp_path):
    result = cli("diagnose", make_recipe(GOOD), "--fail-on", "high_varience", "-q")
    assert_usage_error(result, "unknown kind high_varience", "high_variance")


def test_unavailable_device(cli, make_recipe):
    result = cli("diagnose", make_recipe(GOOD), "--device", "tpu9", "-q")
    assert_usage_error(result, "device")


@pytest.mark.parametrize(
    ("option", "value"), [("--confidence", "1.5"), ("--epochs", "0"), ("--min-gap", "-1")]
)
def test_bad_option_values(cli, make_recipe, option, value):
    assert_usage_error(cli("diagnose", make_recipe(GOOD), option, value, "-q"), option)


def test_debug_shows_the_traceback(cli, make_recipe):
    path = make_recipe('recipe = dd.Recipe(name="t", model=lambda: nn.Linear(5, 3), data=make_data)\n')
    result = cli("diagnose", path, "-q", "--debug")
    assert result.code == 2
    assert "Traceback" in result.stderr
