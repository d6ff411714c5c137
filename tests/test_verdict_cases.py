"""End to end on tiny recipes: leakage, a squashed output and an easier dev set get their own names."""

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


def test_a_softmax_output_is_a_capacity_fault_not_an_optimisation_failure(make_recipe):
    path = make_recipe(
        """
        def squashed():
            return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))

        recipe = dd.Recipe(name="softmax", model=squashed, data=make_data, bayes_error=0.0, **OPTIONS)
        """
    )
    report = dd.diagnose(path, dd.DiagnoseOptions(**FAST))
    assert [c.check for c in report.model_checks] == ["output_squashed"]
    assert report.verdict == "high_bias", report.diagnosis.reason
    advice = report.findings[0].advice
    first = next(i for i, tip in enumerate(advice) if tip.startswith("Remove the final softmax"))
    assert first <= 1 and not any("Do not add capacity" in tip for tip in advice)  # after "train longer"


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
