"""Quality-gate logic on report dicts: rules, exit codes, the baseline test, policy loading; no training."""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from dldoctor.diagnosis import Setup
from dldoctor.error_analysis import ErrorAnalysis
from dldoctor.error_analysis.calibration import Calibration
from dldoctor.error_analysis.label_noise import LabelNoise
from dldoctor.errors import PolicyError
from dldoctor.gates import CheckPolicy, Rule, Status, evaluate, load_policy
from dldoctor.gates import compare as compare_models
from dldoctor.gates.results import GateReport, RuleResult
from dldoctor.report.model import ReportData
from dldoctor.stats import Estimate, difference, wilson


def settings(confidence: float = 0.95, scale: float = 1.0) -> dict:
    setup = asdict(Setup("sgd", 0.1, 0.9, 32, 10, 0.0, 1000))
    return {
        **setup,
        "seed": 0,
        "confidence": confidence,
        "min_gap": 0.01,
        "target_error": None,
        "scale": scale,
    }


def classification_report(counts: dict[str, tuple[int, int]], findings: tuple[str, ...] = ()) -> dict:
    """A report dict as `to_dict()` writes it (the parts the gates read), from (errors, n) per split;
    gaps by MOVER as diagnose does."""
    estimates = {split: wilson(k, n) for split, (k, n) in counts.items()}
    pairs = {
        "variance": ("train_dev", "train"),
        "data_mismatch": ("dev", "train_dev"),
        "dev_overfit": ("test", "dev"),
    }
    gaps = {
        name: difference(estimates[a], estimates[b])
        for name, (a, b) in pairs.items()
        if a in estimates and b in estimates
    }
    splits = ("train", "train_dev", "dev", "test")
    return {
        "schema": 1,
        "recipe": "synthetic",
        "task": "classification",
        "verdict": findings[0] if findings else "healthy",
        "errors": {s: estimates[s].value if s in estimates else None for s in ("bayes", *splits)},
        "intervals": {s: list(estimates[s].interval) if s in estimates else None for s in ("bayes", *splits)},
        "sizes": {s: counts[s][1] if s in counts else None for s in splits},
        "gaps": {g: gaps[g].value if g in gaps else None for g in ("avoidable_bias", *pairs)},
        "gap_intervals": {
            g: list(gaps[g].interval) if g in gaps else None for g in ("avoidable_bias", *pairs)
        },
        "findings": [{"kind": k, "severity": "medium", "summary": f"{k} found"} for k in findings],
        "settings": settings(),
    }


def evaluate_dict(report: dict, policy: CheckPolicy, baseline: dict | None = None) -> GateReport:
    """The gate on reports in their JSON form, read as the model as a stored report is."""
    return evaluate(
        ReportData.from_dict(report), policy, None if baseline is None else ReportData.from_dict(baseline)
    )


def compare(current: dict, baseline: dict):
    return compare_models(ReportData.from_dict(current), ReportData.from_dict(baseline))


HEALTHY = {"train": (10, 1000), "train_dev": (25, 500), "dev": (25, 500)}


def statuses(report: dict, policy: CheckPolicy, baseline: dict | None = None) -> list[Status]:
    return [r.status for r in evaluate_dict(report, policy, baseline).results]


def test_an_error_maximum_fails_on_the_estimate_and_warns_when_only_the_interval_crosses():
    report = classification_report(HEALTHY)  # dev 5.0%, Wilson 95% interval about 3.4% to 7.3%
    assert statuses(report, CheckPolicy(max_dev_error=0.04)) == [Status.FAIL]
    assert statuses(report, CheckPolicy(max_dev_error=0.06)) == [Status.WARN]
    assert statuses(report, CheckPolicy(max_dev_error=0.10)) == [Status.PASS]


def test_a_gap_maximum_judges_the_reported_gap_and_its_interval():
    report = classification_report(HEALTHY)  # variance gap 4 pts
    low, high = report["gap_intervals"]["variance"]
    assert 0 < low < 0.04 < high
    assert statuses(report, CheckPolicy(max_variance=0.03)) == [Status.FAIL]
    assert statuses(report, CheckPolicy(max_variance=(0.04 + high) / 2)) == [Status.WARN]
    assert statuses(report, CheckPolicy(max_variance=high + 0.01)) == [Status.PASS]


def test_a_maximum_the_run_cannot_measure_is_an_error_not_a_pass():
    gate = evaluate_dict(
        classification_report(HEALTHY), CheckPolicy(max_test_error=0.1, max_dev_overfit=0.01)
    )
    assert [r.status for r in gate.results] == [Status.ERROR, Status.ERROR]
    assert "no test split" in gate.results[0].message and gate.exit_code == 1


def test_fail_on_and_warn_on_kinds_match_the_findings():
    report = classification_report(HEALTHY, findings=("high_variance",))
    policy = CheckPolicy(fail_on=("high_variance", "high_bias"), warn_on=("data_mismatch", "high_variance"))
    assert statuses(report, policy) == [Status.FAIL, Status.PASS, Status.PASS, Status.WARN]


def test_a_rule_that_raises_becomes_an_error_and_the_other_rules_still_run():
    report = classification_report(HEALTHY, findings=("high_bias",))
    report["errors"]["dev"] = "not a number"
    gate = evaluate_dict(report, CheckPolicy(max_dev_error=0.1, fail_on=("high_bias",)))
    assert [r.status for r in gate.results] == [Status.ERROR, Status.FAIL]
    assert "TypeError" in gate.results[0].message
    assert Rule("boom", lambda r: 1 / 0).run(report).status is Status.ERROR


@pytest.mark.parametrize(
    ("found", "strict", "code"),
    [
        ((), False, 0),
        ((Status.PASS, Status.WARN), False, 0),
        ((Status.PASS, Status.WARN), True, 1),
        ((Status.PASS, Status.FAIL), False, 1),
        ((Status.ERROR,), False, 1),
    ],
)
def test_exit_code_is_1_for_fail_or_error_and_for_warn_only_under_strict(found, strict, code):
    gate = GateReport(
        tuple(RuleResult(f"r{i}", s, "") for i, s in enumerate(found)), CheckPolicy(strict=strict)
    )
    assert gate.exit_code == code
    assert gate.to_dict()["exit_code"] == code


def test_baseline_rule_fails_only_when_dev_error_is_significantly_worse():
    base = classification_report(HEALTHY)  # dev 25/500
    much_worse = classification_report({**HEALTHY, "dev": (50, 500)})
    a_bit_worse = classification_report({**HEALTHY, "dev": (31, 500)})
    same = classification_report({**HEALTHY, "dev": (26, 500)})
    better = classification_report({**HEALTHY, "dev": (10, 500)})
    assert statuses(much_worse, CheckPolicy(), base) == [Status.FAIL]
    assert statuses(a_bit_worse, CheckPolicy(), base) == [Status.WARN]  # +1.2 pts: material, not significant
    assert statuses(same, CheckPolicy(), base) == [Status.PASS]
    assert statuses(better, CheckPolicy(), base) == [Status.PASS]
    assert compare(better, base).delta("dev").change == "better"
    assert statuses(much_worse, CheckPolicy(baseline_tolerance=0.06), base) == [Status.PASS]


def test_a_baseline_that_cannot_be_compared_is_an_error_without_a_delta_table():
    broken = classification_report(HEALTHY)
    del broken["sizes"]
    gate = evaluate_dict(classification_report(HEALTHY), CheckPolicy(max_dev_error=0.5), broken)
    assert [r.status for r in gate.results] == [Status.PASS, Status.ERROR]
    assert "no train size" in gate.results[1].message and gate.comparison is None and gate.exit_code == 1


def test_baseline_test_false_alarm_rate_stays_below_its_level_and_it_catches_a_real_regression():
    rng = np.random.default_rng(0)
    trials, n = 2000, 500

    def fail_rate(p_old: float, p_new: float) -> float:
        old, new = rng.binomial(n, p_old, trials), rng.binomial(n, p_new, trials)
        # Trials that drew the same pair of counts compare alike: compare each pair once, weigh by its count.
        pairs, counts = np.unique(np.stack([old, new], axis=1), axis=0, return_counts=True)
        worse = [
            compare(
                classification_report({**HEALTHY, "dev": (int(b), n)}),
                classification_report({**HEALTHY, "dev": (int(a), n)}),
            )
            .delta("dev")
            .change
            == "worse"
            for a, b in pairs
        ]
        return float(np.average(worse, weights=counts))

    assert fail_rate(0.05, 0.05) <= 0.025 + 0.01  # one-sided 2.5 % at 95 % confidence, plus sampling slack
    # 5 % → 10 % on 500 examples each: a one-sided z-test at 2.5 % has power Φ(0.05 / 0.0166 − 1.96) ≈ 0.85
    assert fail_rate(0.05, 0.10) >= 0.8


def test_regression_baseline_combines_the_stored_intervals():
    def mse(value: float, low: float, high: float, confidence: float = 0.95) -> dict:
        report = classification_report(HEALTHY)
        report.update(task="regression", settings=settings(confidence, scale=2.0))
        report["errors"]["dev"], report["intervals"]["dev"] = value, [low, high]
        return report

    base = mse(1.0, 0.9, 1.1)
    assert compare(mse(1.5, 1.35, 1.65), base).delta("dev").change == "worse"
    assert compare(mse(1.05, 0.95, 1.15), base).delta("dev").change == "no significant change"
    # a baseline written at 80 % confidence has narrower intervals; they are widened to 95 % first
    narrow = mse(1.0, 0.95, 1.05, confidence=0.8)
    diff = compare(mse(1.2, 1.1, 1.3), narrow).delta("dev").difference
    assert diff.low < 1.2 - 1.0 - np.hypot(0.1, 0.05)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_pyproject_policy_is_found_from_a_subfolder_and_flags_override_it(tmp_path):
    write(
        tmp_path / "pyproject.toml",
        """
        [tool.dldoctor.check]
        max-dev-error = 0.05
        fail-on = ["high_variance"]
        baseline = "ci/baseline.json"
        """,
    )
    (tmp_path / "src" / "deep").mkdir(parents=True)
    policy = load_policy(None, {"max_dev_error": 0.1, "fail_on": None}, tmp_path / "src" / "deep")
    assert policy.max_dev_error == 0.1 and policy.fail_on == ("high_variance",)
    assert policy.baseline == tmp_path / "ci" / "baseline.json"
    assert policy.source == f"{tmp_path / 'pyproject.toml'} [tool.dldoctor.check]"


def test_the_nearest_pyproject_decides_even_without_a_check_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.dldoctor.check]\nmax-dev-error = 0.05\n")
    write(tmp_path / "inner" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_policy(None, {}, tmp_path / "inner") == CheckPolicy()


def test_a_policy_file_holds_keys_at_top_level(tmp_path):
    path = write(tmp_path / "gate.toml", 'max-variance = 0.02\nwarn-on = ["inconclusive"]\nstrict = true\n')
    policy = load_policy(path, {}, tmp_path)
    assert (policy.max_variance, policy.warn_on, policy.strict) == (0.02, ("inconclusive",), True)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("max_dev_error = 0.05", "unknown key 'max_dev_error' (did you mean 'max-dev-error'?)"),
        ('max-dev-error = "low"', "'max-dev-error' must be a number"),
        ("max-variance = -0.01", "'max-variance' must be a finite number ≥ 0"),
        ("max-dev-error = true", "'max-dev-error' must be a number"),
        ('fail-on = ["high_varience"]', "'fail-on': unknown kind high_varience"),
        ("strict = 1", "'strict' must be true or false"),
        ("baseline = 3", "'baseline' must be a path"),
        ("max-dev-error = ", "cannot read policy file"),
    ],
)
def test_policy_errors_name_the_key(tmp_path, text, named):
    path = write(tmp_path / "gate.toml", text + "\n")
    with pytest.raises(PolicyError, match=r"gate\.toml") as caught:
        load_policy(path, {}, tmp_path)
    assert named in str(caught.value)


def test_a_threshold_above_one_is_impossible_for_an_error_rate_but_fine_for_mse(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.dldoctor.check]\nmax-dev-error = 5\n")
    policy = load_policy(None, {}, tmp_path)
    with pytest.raises(
        PolicyError, match=r"pyproject.toml \[tool.dldoctor.check\]: 'max-dev-error': 5 is imp"
    ):
        policy.for_task("classification")
    assert policy.for_task("regression").max_dev_error == 5
    with pytest.raises(PolicyError, match="--max-mismatch: 2 is impossible"):
        load_policy(None, {"max_dev_error": 0.05, "max_mismatch": 2.0}, tmp_path).for_task("classification")


def test_flags_are_validated_like_the_file(tmp_path):
    with pytest.raises(PolicyError, match="--max-dev-error must be a finite number ≥ 0"):
        load_policy(None, {"max_dev_error": -1.0}, tmp_path)
    with pytest.raises(PolicyError, match="--fail-on: unknown kind overfit"):
        load_policy(None, {"fail_on": "high_bias,overfit"}, tmp_path)


@pytest.mark.parametrize("strict", [False, True])
def test_junit_has_one_case_per_rule_and_a_warning_fails_only_under_strict(tmp_path, strict):
    from junitparser import Error, Failure, JUnitXml

    from dldoctor.report.junit import render_junit

    report = classification_report(HEALTHY, findings=("high_variance",))
    policy = CheckPolicy(max_dev_error=0.06, max_test_error=0.1, fail_on=("high_variance",), strict=strict)
    gate = evaluate_dict(report, policy)
    stored = ReportData.from_dict({**report, "seconds": 1.0, "check": gate.to_dict()})
    (tmp_path / "j.xml").write_text(render_junit(stored))
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "j.xml"))))
    kinds = {case.name: [type(r) for r in case.result] for case in suite}
    assert kinds == {
        "dev error ≤ 6%": [Failure] if strict else [],
        "test error ≤ 10%": [Error],
        "no high_variance finding": [Failure],
    }
    assert (suite.tests, suite.failures, suite.errors) == (3, 2 if strict else 1, 1)


def with_analysis(report: dict, noise: tuple[float, float, float], ece: tuple[float, float, float]) -> dict:
    """The report with an error analysis holding dev label noise and ECE as (value, low, high), in
    its JSON form."""
    analysis = ErrorAnalysis(
        "dev",
        calibration=Calibration(Estimate(*ece), Estimate(0.0, 0.0, 0.0), "calibrated", ()),
        label_noise={"dev": LabelNoise(100, Estimate(*noise), (), 0.1, 0.1, (), 0)},
        skipped={"slices": "no metadata for dev"},
    )
    return {**report, "error_analysis": ReportData(error_analysis=analysis).to_dict()["error_analysis"]}


def test_label_noise_and_ece_maxima_judge_the_estimate_and_its_interval():
    report = with_analysis(classification_report(HEALTHY), (0.04, 0.02, 0.06), (0.03, 0.02, 0.05))
    policy = CheckPolicy(max_label_noise=0.05, max_ece=0.02)
    assert statuses(report, policy) == [Status.WARN, Status.FAIL]
    assert statuses(report, CheckPolicy(max_label_noise=0.1, max_ece=0.1)) == [Status.PASS, Status.PASS]


def test_an_analysis_maximum_without_its_analysis_is_an_error_saying_why():
    report = with_analysis(classification_report(HEALTHY), (0.04, 0.02, 0.06), (0.03, 0.02, 0.05))
    (result,) = evaluate_dict(report, CheckPolicy(max_slice_gap=0.05)).results
    assert result.status == Status.ERROR and "no metadata for dev" in result.message
    bare = {**classification_report(HEALTHY), "error_analysis": None}
    (result,) = evaluate_dict(bare, CheckPolicy(max_label_noise=0.05)).results
    assert result.status == Status.ERROR and "--no-errors" in result.message


def test_analysis_maxima_are_policy_keys(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.dldoctor.check]\nmax-label-noise = 0.05\nmax-ece = 0.1\n")
    policy = load_policy(None, {"max_slice_gap": 0.02}, tmp_path)
    assert (policy.max_label_noise, policy.max_ece, policy.max_slice_gap) == (0.05, 0.1, 0.02)
    with pytest.raises(PolicyError, match="impossible for a classification error rate"):
        load_policy(None, {"max_ece": 2.0}, tmp_path).for_task("classification")


def test_measured_seed_noise_widens_the_baseline_comparison():
    """+5 pts on 500 dev examples is significant by sampling alone; seeds that spread the dev error
    by 2 pts (sd) make it no more than two reruns could differ by."""
    base, worse = classification_report(HEALTHY), classification_report({**HEALTHY, "dev": (50, 500)})
    assert compare(worse, base).delta("dev").change == "worse"
    spread = {"spread": {"dev": {"sd": 0.02}, "train": None}}
    seeded = {**worse, "sections": {"seed_repeat": {"title": "seeds", "lines": [], "values": spread}}}
    comparison = compare(seeded, base)
    dev, plain = comparison.delta("dev").difference, compare(worse, base).delta("dev").difference
    assert comparison.delta("dev").change == "no significant change" and dev.value == plain.value
    assert dev.low == pytest.approx(
        dev.value - np.hypot(plain.value - plain.low, 1.96 * np.sqrt(2) * 0.02), abs=1e-4
    )
    assert comparison.method.endswith("+ seed noise")
    assert comparison.delta("train").difference == compare(worse, base).delta("train").difference
    assert (
        compare(base, seeded).delta("dev").change == "no significant change"
    )  # the baseline's spread serves too
