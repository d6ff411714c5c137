"""Every shipped recipe gets its intended verdict, on three seeds, for the intended reason."""

from __future__ import annotations

import pytest
from conftest import RECIPES
from test_report_model import assert_stored_renders_alike

from dldoctor.diagnosis.gaps import SPEC

EXPECTED = {
    "digits.py": ("healthy", "inconclusive", "high_variance"),
    "healthy.py": "healthy",
    "high_bias.py": "high_bias",
    "high_variance.py": "high_variance",
    "data_mismatch.py": "data_mismatch",
    "optimization_failure.py": "optimization_failure",
    "friedman.py": "high_bias",
    "vanishing_gradients.py": "optimization_failure",
    "lr_too_low.py": "optimization_failure",
    "dying_relu.py": "optimization_failure",
    "saddle.py": "optimization_failure",
    "digits_cnn.py": "healthy",
    "rmsprop.py": "healthy",
    "multilabel.py": "healthy",
    "sequence.py": "healthy",
}
# The probe that must explain each optimisation failure (the one named in the recipe's docstring).
PROBE = {
    "vanishing_gradients.py": "gradients.vanishing",
    "lr_too_low.py": "gradients.update_ratio",
    "dying_relu.py": "activations.dead_relu",
    "saddle.py": "hessian.critical_point",
}
NO_ALARM = (
    "healthy.py",
    "high_bias.py",
    "digits_cnn.py",
    "rmsprop.py",
    "multilabel.py",
    "sequence.py",
)  # must not raise any optimisation warning
HELPERS = {"toolkit.py"}
# Recipes whose plots are compared fresh against stored (PNG bytes): an lr range test, a regression, an
# error analysis with confusion and reliability; the text renderers are compared on every recipe.
PLOTTED = {"optimization_failure.py", "friedman.py", "digits.py"}
# digits.py: the MLP fits train (0 %) and lands 0.5–2.5 points above the Bayes estimate (≈ 2.2–2.5 %,
# bounded by a cross-fitted RBF kernel model's held-out error; an RBF SVM reaches 1.8 %) on train-dev
# and dev. Whether that variance is material on 500 dev examples depends on the seed (seeds 0, 1, 2:
# healthy, inconclusive, high variance), so any of the three is right — but a fault must be variance.


def test_every_shipped_recipe_is_checked():
    shipped = {p.name for p in RECIPES.glob("*.py")} - HELPERS
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("name", "verdict"), EXPECTED.items())
def test_recipe_gets_its_verdict(name, verdict, seed, tmp_path, shipped):
    report = shipped(name, seed)
    if seed == 0:  # the report model: a stored copy reads back and renders exactly like the fresh one
        assert_stored_renders_alike(report, tmp_path, plots=name in PLOTTED)
    if isinstance(verdict, tuple):
        assert report.verdict in verdict, report.diagnosis.reason
        verdict = report.verdict
    assert report.verdict == verdict, report.diagnosis.reason
    warned = {o.probe: o for o in report.diagnosis.probes if o.status == "warn"}
    if name in NO_ALARM:
        assert not warned, [o.summary for o in warned.values()]
    if verdict == "healthy":
        assert report.findings == []
        return
    top = report.findings[0]
    assert top.kind == verdict and top.advice and top.evidence["rule"]
    if verdict == "inconclusive":
        assert top.evidence["gap"] in report.diagnosis.gaps
        return
    if name in PROBE:
        assert PROBE[name] in warned and PROBE[name] in {p["probe"] for p in top.evidence["probes"]}
    if name == "saddle.py":
        assert warned["hessian.critical_point"].numbers["verdict"] == "saddle point"
    if verdict != "optimization_failure":
        gap = report.diagnosis.gaps[top.evidence["rule"].split(" = ")[0]]
        assert gap.significant and gap.material
        judged = [g for name, g in report.diagnosis.gaps.items() if SPEC[name].judged]
        assert gap.estimate.value == max(g.estimate.value for g in judged)
