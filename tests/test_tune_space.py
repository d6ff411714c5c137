"""The search space, the boundary check and diagnosis-aware shaping: pure logic, no training."""

from __future__ import annotations

import pytest
from optuna.distributions import FloatDistribution, IntDistribution

from dldoctor.diagnosis import Policy, RangeTest, Setup
from dldoctor.errors import RecipeError
from dldoctor.recipe import Recipe
from dldoctor.report.model import ReportData, Settings
from dldoctor.search_space import build_space
from dldoctor.tuning.guidance import TuningWontHelp, guidance
from dldoctor.tuning.results import edge_warnings


def model(hidden: int = 8, dropout: float = 0.0):
    raise AssertionError("never built in these tests")


def plain_model():
    raise AssertionError("never built in these tests")


def recipe(**changes) -> Recipe:
    return Recipe(**{"name": "r", "model": model, "data": lambda seed: None, **changes})


def test_default_space_is_log_scaled_and_batch_is_capped_by_the_training_set():
    space = build_space(None, model, n_train=300)
    lr, beta, batch = space.dimensions
    assert (lr.low, lr.high, lr.log) == (1e-5, 1.0, True)
    assert (beta.name, beta.low, beta.high, beta.log) == ("one_minus_beta", 1e-3, 1e-1, True)
    assert beta.decode(1e-2) == pytest.approx(0.99)
    assert (batch.low, batch.high) == (4, 8)  # 16..256: 512 would exceed 300 examples
    assert [batch.decode(k) for k in (4, 8)] == [16, 256]


def test_declared_dimensions_reach_the_model_or_the_optimiser():
    space = build_space(
        {
            "lr": (1e-4, 1e-1),
            "hidden": (16, 256, "log"),
            "dropout": (0.0, 0.5),
            "weight_decay": (1e-6, 1e-2, "log"),
        },
        model,
        n_train=10_000,
    )
    params = {
        "lr": 1e-3,
        "one_minus_beta": 0.1,
        "log2_batch_size": 5,
        "hidden": 64,
        "dropout": 0.2,
        "weight_decay": 1e-4,
    }
    recipe_changes, model_params = space.decode(params)
    assert recipe_changes == {"lr": 1e-3, "beta": pytest.approx(0.9), "batch_size": 32, "weight_decay": 1e-4}
    assert model_params == {"hidden": 64, "dropout": 0.2}
    assert space.get("hidden").kind == "int" and space.get("hidden").log
    assert space.get("dropout").kind == "float" and not space.get("dropout").log
    assert space.get("lr").low == 1e-4


@pytest.mark.parametrize(
    ("declared", "fragment"),
    [
        ({"width": (1, 4)}, "takes no such keyword argument (it takes: dropout, hidden)"),
        ({"hidden": (8,)}, "must be (low, high)"),
        ({"hidden": (8, 4)}, "needs two numbers low < high"),
        ({"lr": (0.0, 1.0)}, "log scale: low must be > 0"),
        ({"batch_size": (10, 100)}, "powers of two"),
        ({"beta": (0.9, 1.0)}, "must lie in [0, 1)"),
        ({"hidden": []}, "lists no choices"),
        ([("hidden", (1, 2))], "search_space must be a dict"),
    ],
)
def test_bad_search_space_is_a_one_line_recipe_error(declared, fragment):
    with pytest.raises(RecipeError) as caught:
        recipe(search_space=declared).validate()
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_best_value_on_a_log_edge_is_flagged_and_the_interior_is_not():
    space = build_space(None, model, n_train=10_000)
    inside = {"lr": 1e-3, "one_minus_beta": 1e-2, "log2_batch_size": 6}
    assert edge_warnings(space, inside) == []
    edges = edge_warnings(space, {"lr": 1.2e-5, "one_minus_beta": 1e-2, "log2_batch_size": 10})
    assert [(e.dimension, e.edge) for e in edges] == [("lr", "low"), ("batch_size", "high")]
    assert "down" in edges[0].advice


def test_a_beta_edge_is_named_in_beta_terms_not_one_minus_beta():
    space = build_space(None, model, n_train=10_000)
    one_minus_beta = space.get("one_minus_beta")
    (low_beta,) = edge_warnings(
        space, {"lr": 1e-3, "one_minus_beta": one_minus_beta.high, "log2_batch_size": 6}
    )
    assert (low_beta.dimension, low_beta.edge) == ("beta", "low") and "range lower" in low_beta.advice
    (high_beta,) = edge_warnings(
        space, {"lr": 1e-3, "one_minus_beta": one_minus_beta.low, "log2_batch_size": 6}
    )
    assert high_beta.edge == "high" and "closer to 1" in high_beta.advice


def diagnosed(verdict: str, lr: float = 0.0, suggested_lr: float | None = None) -> ReportData:
    """A report of recipe `r` with this verdict, the diagnosed run's lr and the range test's suggestion."""
    settings = Settings(Setup("adam", lr, 0.9, 32, 1, 0.0, 1000), 0, Policy())
    range_test = None if suggested_lr is None else RangeTest((), (), suggested_lr, 0.1, 0.1, "adam")
    return ReportData(recipe="r", verdict=verdict, settings=settings, lr_range_test=range_test)


def test_optimisation_failure_centres_lr_on_the_range_test_suggestion():
    report = diagnosed("optimization_failure", lr=30.0, suggested_lr=0.05)
    space, notes = guidance(report, recipe(), force=False)(build_space(None, model, 1000))
    lr = space.get("lr")
    assert (lr.low, lr.high) == pytest.approx((5e-4, 5.0))
    assert "range test" in notes[0] and space.get("one_minus_beta") and space.get("log2_batch_size")


def test_optimisation_failure_without_a_range_test_uses_the_diagnosed_lr():
    report = diagnosed("optimization_failure", lr=30.0)
    space, _ = guidance(report, recipe(), force=False)(build_space(None, model, 1000))
    assert (space.get("lr").low, space.get("lr").high) == pytest.approx((0.3, 3000.0))


def test_high_variance_adds_weight_decay_and_dropout_only_where_the_model_takes_it():
    report = diagnosed("high_variance")
    space, _ = guidance(report, recipe(), force=False)(build_space(None, model, 1000))
    assert space.get("weight_decay").log and space.get("dropout").target == "model"
    plain = recipe(model=plain_model)
    space, notes = guidance(report, plain, force=False)(build_space(None, plain_model, 1000))
    assert space.get("weight_decay") is not None and space.get("dropout") is None
    assert any("no `dropout` keyword" in n for n in notes)


def test_high_variance_searches_no_weight_decay_for_an_optimiser_without_one_and_says_why():
    rprop = recipe(optimizer="rprop")
    space, notes = guidance(diagnosed("high_variance"), rprop, force=False)(build_space(None, model, 1000))
    assert space.get("weight_decay") is None and space.get("dropout") is not None
    assert any("rprop takes no weight_decay" in n for n in notes)


def test_high_bias_widens_declared_capacity_dimensions():
    space = build_space({"hidden": (8, 64)}, model, 1000)
    widened, notes = guidance(diagnosed("high_bias"), recipe(), force=False)(space)
    assert widened.get("hidden").high == 256 and widened.get("hidden").low == 8
    _bare, notes = guidance(diagnosed("high_bias"), recipe(), force=False)(build_space(None, model, 1000))
    assert "declares no capacity dimension" in notes[0]


def test_data_mismatch_refuses_unless_forced():
    with pytest.raises(TuningWontHelp, match="will not fix it"):
        guidance(diagnosed("data_mismatch"), recipe(), force=False)
    space = build_space(None, model, 1000)
    forced, notes = guidance(diagnosed("data_mismatch"), recipe(), force=True)(space)
    assert forced == space and "--force" in notes[0]


def test_study_distributions_are_log_scaled(tmp_path):
    """What Optuna records for the built-in dimensions, read back through Optuna's own API."""
    import optuna

    space = build_space(None, model, n_train=1000)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", study_name="space")
    trial = study.ask()
    space.suggest(trial)
    study.tell(trial, 0.5)
    loaded = optuna.load_study(study_name="space", storage=f"sqlite:///{tmp_path / 's.db'}")
    dists = loaded.trials[0].distributions
    assert dists["lr"] == FloatDistribution(1e-5, 1.0, log=True)
    assert dists["one_minus_beta"] == FloatDistribution(1e-3, 1e-1, log=True)
    assert dists["log2_batch_size"] == IntDistribution(4, 9)


def test_beta_is_searched_only_where_the_optimiser_has_one():
    from dldoctor.optim import has_beta

    assert [has_beta(name) for name in ("adam", "rmsprop", "sgd", "adagrad", "adadelta")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    names = [d.name for d in build_space(None, lambda: None, n_train=1000, beta=False).dimensions]
    assert "one_minus_beta" not in names and "lr" in names
    with pytest.raises(RecipeError, match="no first-moment coefficient"):
        build_space({"beta": (0.8, 0.99)}, lambda: None, n_train=1000, beta=False)
