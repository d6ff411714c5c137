"""End to end on tiny recipes: leakage, softmax before cross-entropy and an easier dev set get their names."""

from __future__ import annotations

import json

import dldoctor as dd

FAST = dict(probes=False, hessian=False, lr_find=False, device="cpu")


def test_dev_examples_copied_from_train_are_data_leakage(make_recipe, tmp_path):
    path = make_recipe(
        """
        def leaky(seed):
            train = blobs(600, seed)
            dev = blobs(300, seed + 1)
            x = np.concatenate([dev[0][:200], train[0][:100]])
            y = np.concatenate([dev[1][:200], train[1][:100]])
            return dd.Splits(train=train, train_dev=blobs(300, seed + 2), dev=(x, y))

        recipe = dd.Recipe(name="leaky", model=make_model, data=leaky, **OPTIONS)
        """
    )
    report = dd.diagnose(path, dd.DiagnoseOptions(**FAST))
    assert report.verdict == "data_leakage"
    dev = next(d for d in report.leakage if d.query == "dev")
    assert dev.exact == 100 and dev.near == 0
    data = json.loads(report.to_json())
    assert data["leakage"][0]["exact"] == 100 and data["findings"][0]["kind"] == "data_leakage"


def test_a_softmax_output_is_an_optimisation_failure_whose_first_remedy_removes_it(make_recipe):
    # Softmax before cross-entropy keeps the argmax (no capacity is lost) but starves the gradient.
    path = make_recipe(
        """
        def squashed():
            return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))

        recipe = dd.Recipe(name="softmax", model=squashed, data=make_data, bayes_error=0.0, **OPTIONS)
        """
    )
    report = dd.diagnose(path, dd.DiagnoseOptions(**FAST))
    assert [(c.check, c.capacity, c.setup) for c in report.model_checks] == [("output_squashed", False, True)]
    assert report.verdict == "optimization_failure", report.diagnosis.reason
    advice = report.findings[0].advice
    assert advice[0].startswith("Remove the final softmax")
    assert any("Do not add capacity" in tip for tip in advice)


def test_a_dev_set_much_cleaner_than_training_data_is_a_mismatch(make_recipe):
    path = make_recipe(
        """
        def noisy_train(seed):
            rng = np.random.default_rng(seed)
            x, y = blobs(1200, seed)
            flip = rng.random(len(y)) < 0.3  # training labels are noisy; dev labels are clean
            y = np.where(flip, rng.integers(0, 3, size=len(y)), y)
            return dd.Splits(train=(x[:800], y[:800]), train_dev=(x[800:], y[800:]), dev=blobs(400, seed + 1))

        recipe = dd.Recipe(name="clean-dev", model=make_model, data=noisy_train, **OPTIONS)
        """
    )
    report = dd.diagnose(path, dd.DiagnoseOptions(**FAST))
    assert report.verdict == "data_mismatch", report.diagnosis.reason
    assert report.findings[0].evidence["direction"] == "dev easier"
