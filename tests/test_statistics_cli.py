"""Statistics end to end: `dldoctor bayes`, and what diagnose's JSON says of estimators and mismatch."""

from __future__ import annotations

import json

import jsonschema

from dldoctor.report.stored import schema

GOOD = 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)\n'


def test_bayes_command_lists_every_estimator_and_the_chosen_one(make_recipe, cli):
    result = cli("bayes", make_recipe(GOOD))
    assert result.code == 0, result.stderr
    for part in ("knn.inputs", "cover_hart.inputs", "knn.linear", "knn.embedding", "plugin.outputs"):
        assert part in result.stdout
    assert "diagnose uses" in result.stdout and "Rule:" in result.stdout


def test_bayes_command_says_diagnose_uses_the_recipes_given_value(make_recipe, cli):
    given = 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, bayes_error=0.25, **OPTIONS)\n'
    result = cli("bayes", make_recipe(given), "--no-train")
    assert result.code == 0, result.stderr
    assert "diagnose uses the given 25.0%" in result.stdout and "knn.inputs" in result.stdout


def test_bayes_command_without_training_skips_the_model_views(make_recipe, cli):
    result = cli("bayes", make_recipe(GOOD), "--no-train")
    assert result.code == 0, result.stderr
    assert "knn.embedding" not in result.stdout and "no trained model given" in result.stdout


def test_diagnose_json_carries_every_estimator_and_the_mismatch_test(make_recipe, cli, tmp_path):
    report = tmp_path / "r.json"
    result = cli("diagnose", make_recipe(GOOD), "--json", report, "--no-hessian", "--no-probes")
    assert result.code == 0, result.stderr
    data = json.loads(report.read_text())
    details = data["bayes_details"]
    assert details["chosen"] in details["estimators"] and data["bayes_method"]
    chosen = details["estimators"][details["chosen"]]
    assert chosen["interval"][0] <= chosen["value"] <= chosen["interval"][1]
    bracket = data["bayes_bracket"]
    assert bracket["lower"] <= data["errors"]["bayes"] <= bracket["upper"] and bracket["upper_source"]
    assert bracket["upper"] <= data["intervals"]["train_dev"][1] and "bracket [" in result.stdout
    test = data["mismatch_test"]
    assert 0 < test["p_value"] <= 1 and test["mmd"] >= 0 and test["representation"] == "embedding"


def test_learning_curve_and_folds_reach_the_report_and_the_plot(make_recipe, cli, tmp_path):
    report, plot = tmp_path / "r.json", tmp_path / "curve.png"
    result = cli(
        "diagnose", make_recipe(GOOD), "--json", report, "--no-hessian", "--no-probes",
        "--learning-curve", "--curve-plot", plot, "--folds", "3",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    data = json.loads(report.read_text())
    curve = data["learning_curve"]
    assert len(curve["sizes"]) == 5 and curve["sizes"] == sorted(curve["sizes"])
    assert curve["dev_errors"][-1] == data["errors"]["dev"]
    assert plot.read_bytes().startswith(b"\x89PNG")
    cv = data["cross_validation"]
    assert cv["folds"] == 3 and len(cv["per_fold"]) == 3
    for name, (low, high) in cv["intervals"].items():
        assert low <= cv["errors"][name] <= high
    assert "3-fold cross-validation" in result.stdout and "Learning curve" in result.stdout
    jsonschema.Draft202012Validator(schema()).validate(data)


def test_one_fold_is_a_usage_error(make_recipe, cli):
    result = cli("diagnose", make_recipe(GOOD), "--folds", "1")
    assert result.code == 2 and "--folds must be at least 2" in result.stderr
