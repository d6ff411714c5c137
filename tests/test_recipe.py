"""Loading recipe files and validating Recipe objects."""

from __future__ import annotations

import pytest

import dldoctor as dd
from dldoctor.errors import RecipeError
from dldoctor.recipe import split_spec

GOOD = 'recipe = dd.Recipe(name="t", model=make_model, data=make_data, **OPTIONS)\n'


def test_loads_the_recipe_attribute(make_recipe):
    recipe = dd.load_recipe(make_recipe(GOOD))
    assert isinstance(recipe, dd.Recipe) and recipe.name == "t" and recipe.epochs == 3


def test_path_colon_name_selects_another_attribute(make_recipe):
    path = make_recipe(GOOD + 'small = dd.Recipe(name="small", model=make_model, data=make_data)\n')
    assert dd.load_recipe(f"{path}:small").name == "small"


def test_a_recipe_can_import_modules_beside_it(make_recipe, tmp_path):
    (tmp_path / "helpers_beside_recipe.py").write_text("WIDTH = 7\n")
    path = make_recipe(
        "from helpers_beside_recipe import WIDTH\n"
        'recipe = dd.Recipe(name=f"w{WIDTH}", model=make_model, data=make_data)\n'
    )
    assert dd.load_recipe(path).name == "w7"


def test_split_spec_handles_drive_letters_and_names():
    assert split_spec("a/b.py:small") == (split_spec("a/b.py")[0], "small")
    assert split_spec("a/b.py")[1] == "recipe"
    assert str(split_spec("C:\\work\\r.py")[0]) == "C:\\work\\r.py"


def test_replace_ignores_none_and_validates():
    recipe = dd.Recipe(name="t", model=lambda: None, data=lambda seed: None)
    assert recipe.replace(epochs=None, lr=0.1).lr == 0.1
    assert recipe.replace(epochs=None).epochs == recipe.epochs
    with pytest.raises(RecipeError, match="lr must be a number"):
        recipe.replace(lr=-1.0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"model": 3}, "`model` must be a function"),
        ({"optimizer": "rmsprob"}, "unknown optimizer"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"bayes_error": 1.5}, "bayes_error"),
        ({"epochs": True}, "epochs must be a positive integer"),
        ({"task": "ranking"}, "unknown task 'ranking'; use one of classification, regression, multilabel"),
        ({"task": "multilabel", "target_error": 2.0}, "target_error must be a number in"),
        ({"lr": 0}, "lr must be a number in"),
        ({"beta": 1.0}, "beta must be a number in"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"baseline": "mlp"}, "`baseline` must be a function"),
        ({"description": 3}, "description must be a string"),
    ],
)
def test_validate_names_the_bad_field(changes, message):
    base = {"name": "t", "model": lambda: None, "data": lambda seed: None}
    with pytest.raises(RecipeError, match=message) as caught:
        dd.Recipe(**{**base, **changes}).validate()
    assert "\n" not in str(caught.value)


def test_regression_bayes_error_may_exceed_one():
    assert dd.Recipe(name="r", model=abs, data=abs, task="regression", bayes_error=4.0).validate()
