"""`dldoctor check` and `dldoctor report` end to end: exit codes, JUnit, Markdown, plots, schema, baseline.

The digits recipe's session-wide diagnoses (seed 0 as the baseline, seed 1 as a rerun) are gated from
their stored reports; one epoch of it is diagnosed here as a regression; every other test uses tiny
recipes written into tmp_path.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import jsonschema
import pytest
from conftest import BASE_RECIPE, RECIPES
from junitparser import Error, Failure, JUnitXml
from typer.testing import CliRunner

from dldoctor.cli import app
from dldoctor.diagnosis import KINDS, VERDICTS
from dldoctor.report.stored import schema

DIGITS = str(RECIPES / "digits.py")
TINY = 'recipe = dd.Recipe(name="tiny", model=make_model, data=make_data, **OPTIONS)\n'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(folder: Path, *args: str):
    """Invoke the CLI from `folder`, so no pyproject.toml above the test run supplies a policy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return CliRunner().invoke(app, [str(a) for a in args])


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator(schema()).validate(document)


def junit_cases(path: Path) -> dict[str, list]:
    """Rule name -> the result elements (failure, error) of its testcase; [] means it passed."""
    suite = next(iter(JUnitXml.fromfile(str(path))))
    return {case.name: list(case.result) for case in suite}


def png_dimensions(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, shipped):
    """The issue's passing example, writing every kind of output."""
    folder = tmp_path_factory.mktemp("baseline")
    shipped("digits.py", 0).save(folder / "diagnosis.json")
    result = run_cli(
        folder,
        "check", "--report", "diagnosis.json", "-q", "--max-dev-error", "0.5", "--junit", "out.xml",
        "--json", "report.json", "--markdown", "summary.md", "--plots", "plots",
    )  # fmt: skip
    return folder, result


@pytest.fixture(scope="module")
def rerun(baseline, tmp_path_factory, shipped):
    """The same recipe with another seed against the baseline, with a maximum it cannot meet."""
    folder = tmp_path_factory.mktemp("rerun")
    stored = baseline[0] / "report.json"
    shipped("digits.py", 1).save(folder / "diagnosis.json")
    result = run_cli(
        folder,
        "check", "--report", "diagnosis.json", "-q", "--baseline", stored, "--max-dev-error", "0.0001",
        "--junit", "out.xml", "--json", "report.json",
    )  # fmt: skip
    return folder, result


def test_a_passing_check_exits_0_and_its_junit_file_passes(baseline):
    folder, result = baseline
    assert result.exit_code == 0, result.output
    assert junit_cases(folder / "out.xml") == {"dev error ≤ 50%": []}
    assert "Check PASS" in result.stdout and "Verdict: HEALTHY" in result.stdout


def test_the_check_report_is_the_diagnosis_plus_the_rules_and_validates(baseline):
    folder, _ = baseline
    document = json.loads((folder / "report.json").read_text())
    validate(document)
    check = document["check"]
    assert (check["status"], check["exit_code"], check["counts"]["PASS"]) == ("PASS", 0, 1)
    (rule,) = check["rules"]
    assert rule["numbers"]["value"] == document["errors"]["dev"] and rule["numbers"]["maximum"] == 0.5
    assert check["policy"]["max_dev_error"] == 0.5 and check["policy_source"] is None


def test_the_markdown_summary_carries_verdict_errors_gaps_rules_and_advice(baseline):
    folder, _ = baseline
    text = (folder / "summary.md").read_text()
    document = json.loads((folder / "report.json").read_text())
    for part in (
        "## dldoctor · digits-mlp — HEALTHY · check ✅ PASS",
        "| ✅ PASS | dev error ≤ 50% |",
        "| split | n | error | 95% interval |",
        "| variance | train-dev − train |",
        document["reason"],  # digits now reads healthy: its total excess dev − Bayes is ≈ 0 (issue 10)
    ):
        assert part in text
    assert f"| dev | 497 | {100 * document['errors']['dev']:.1f}% |" in text


def test_plots_are_real_pngs_of_a_sensible_size(baseline):
    folder, _ = baseline
    for name in ("curves.png", "errors.png"):
        width, height = png_dimensions(folder / "plots" / name)
        assert 800 <= width <= 2000 and 300 <= height <= 1200 and width > height


def test_an_unmeetable_maximum_fails_with_a_junit_failure(rerun):
    folder, result = rerun
    assert result.exit_code == 1, result.output
    cases = junit_cases(folder / "out.xml")
    (failure,) = cases["dev error ≤ 0.01%"]
    assert isinstance(failure, Failure) and "above the maximum" in failure.message
    assert "Check FAIL" in result.stdout


def test_a_rerun_with_another_seed_is_not_a_regression(rerun):
    folder, result = rerun
    cases = junit_cases(folder / "out.xml")
    assert cases["dev error not significantly worse than baseline"] == []
    check = json.loads((folder / "report.json").read_text())["check"]
    rule = next(r for r in check["rules"] if r["rule"].startswith("dev error not"))
    assert rule["status"] in ("PASS", "WARN") and rule["numbers"]["change"] != "worse"
    assert "Against the baseline (digits-mlp" in result.stdout
    again = run_cli(folder, "report", "report.json", "-q", "--markdown", "again.md")
    assert again.exit_code == 0, again.output
    text = (folder / "again.md").read_text()
    assert "### Compared with the baseline (digits-mlp)" in text and "Newcombe (Wilson) interval, 95%" in text
    assert (
        f"| dev | {100 * rule['numbers']['baseline']:.1f}% | {100 * rule['numbers']['current']:.1f}% |"
        in text
    )


def test_a_worse_run_is_caught_against_the_baseline(baseline, tmp_path):
    stored = baseline[0] / "report.json"
    result = run_cli(
        tmp_path, "check", DIGITS, "-q", "--epochs", "1", "--baseline", stored, "--json", "r.json"
    )
    assert result.exit_code == 1, result.output
    document = json.loads((tmp_path / "r.json").read_text())
    validate(document)
    (rule,) = document["check"]["rules"]
    assert rule["status"] == "FAIL" and "significantly worse" in rule["message"]
    deltas = {d["split"]: d for d in document["check"]["baseline"]["deltas"]}
    assert deltas["dev"]["change"] == "worse" and deltas["dev"]["interval"][0] > 0
    assert deltas["test"]["change"] == "n/a"
    assert "worse" in result.stdout


def test_report_rerenders_a_stored_check_report_identically(baseline, tmp_path):
    folder, _ = baseline
    result = run_cli(
        tmp_path, "report", folder / "report.json", "--markdown", "again.md", "--junit", "again.xml",
        "--plots", "plots",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.md").read_text() == (folder / "summary.md").read_text()
    assert (tmp_path / "again.xml").read_text() == (folder / "out.xml").read_text()
    assert png_dimensions(tmp_path / "plots" / "curves.png") == png_dimensions(
        folder / "plots" / "curves.png"
    )
    assert "digits-mlp" in result.stdout and "HEALTHY" in result.stdout


TINY_RECIPES = {
    "classification": TINY,
    "regression": """
def linear(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((600, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(600)).astype(np.float32)
    test = (x[500:], y[500:])
    return dd.Splits(train=(x[:400], y[:400]), dev=(x[400:500], y[400:500]), test=test)

recipe = dd.Recipe(name="line", model=lambda: nn.Linear(4, 1), data=linear, task="regression", epochs=3)
""",
    "diverged": 'recipe = dd.Recipe(name="boom", model=make_model, data=make_data, optimizer="sgd", lr=1e8)',
}


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory) -> Path:
    """`diagnose --json` of a tiny classification, a regression with a test split, and a diverged run."""
    folder = tmp_path_factory.mktemp("diagnosed")
    for name, body in TINY_RECIPES.items():
        (folder / f"{name}.py").write_text(BASE_RECIPE + body + "\n")
        result = run_cli(folder, "diagnose", f"{name}.py", "-q", "--json", f"{name}.json")
        assert result.exit_code == 0, result.output
    return folder


def test_diagnose_reports_validate_against_the_schema(diagnosed):
    for name in TINY_RECIPES:
        document = json.loads((diagnosed / f"{name}.json").read_text())
        validate(document)
        assert "check" not in document
    regression = json.loads((diagnosed / "regression.json").read_text())
    assert regression["task"] == "regression" and regression["errors"]["test"] is not None
    assert json.loads((diagnosed / "diverged.json").read_text())["verdict"] == "optimization_failure"


def test_plots_and_markdown_of_a_diverged_run_render(diagnosed, tmp_path):
    stored = diagnosed / "diverged.json"
    result = run_cli(tmp_path, "report", stored, "-q", "--plots", "plots", "--markdown", "boom.md")
    assert result.exit_code == 0, result.output
    for name in ("curves.png", "errors.png"):
        png_dimensions(tmp_path / "plots" / name)
    assert "OPTIMIZATION FAILURE" in (tmp_path / "boom.md").read_text()


def test_a_regression_report_renders_mse_not_percentages(diagnosed, tmp_path):
    result = run_cli(
        tmp_path, "report", diagnosed / "regression.json", "--markdown", "line.md", "--plots", "p"
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "line.md").read_text()
    document = json.loads((diagnosed / "regression.json").read_text())
    assert f"| dev | 100 | {document['errors']['dev']:.4g} |" in text and "| test | 100 |" in text
    png_dimensions(tmp_path / "p" / "errors.png")


def test_the_schema_lists_exactly_the_verdicts_and_kinds_of_the_code():
    definitions = schema()["$defs"]
    assert definitions["verdict"]["enum"] == list(VERDICTS)
    assert definitions["kind"]["enum"] == list(KINDS)


def test_a_pyproject_policy_is_used_and_flags_override_it(make_recipe, tmp_path):
    shifted = make_recipe(
        """
        def shifted(seed):
            x, y = blobs(600, seed)
            return dd.Splits(train=(x, y), dev=(x[:300] + 2.5, y[:300]))
        recipe = dd.Recipe(name="shifted", model=make_model, data=shifted, **OPTIONS)
        """
    )
    (tmp_path / "pyproject.toml").write_text('[tool.dldoctor.check]\nfail-on = ["data_mismatch"]\n')
    failing = run_cli(tmp_path, "check", shifted, "-q", "--junit", "gate.xml")
    assert failing.exit_code == 1, failing.output
    assert "policy from" in failing.stdout and "pyproject.toml" in failing.stdout
    (failure,) = junit_cases(tmp_path / "gate.xml")["no data_mismatch finding"]
    assert isinstance(failure, Failure)
    warned = run_cli(tmp_path, "check", shifted, "-q", "--fail-on", "high_bias", "--warn-on", "data_mismatch")
    assert warned.exit_code == 0 and "Check WARN" in warned.stdout


def test_a_maximum_the_run_cannot_measure_is_a_junit_error(make_recipe, tmp_path):
    result = run_cli(
        tmp_path, "check", make_recipe(TINY), "-q", "--max-test-error", "0.5", "--junit", "g.xml"
    )
    assert result.exit_code == 1
    (error,) = junit_cases(tmp_path / "g.xml")["test error ≤ 50%"]
    assert isinstance(error, Error) and "no test split" in error.message


@pytest.mark.parametrize(
    ("args", "policy", "message"),
    [
        (["--max-dev-error", "5"], None, "--max-dev-error: 5 is impossible for a classification error rate"),
        (["--max-variance", "-0.1"], None, "--max-variance must be a finite number ≥ 0"),
        (["--fail-on", "overfitting"], None, "--fail-on: unknown kind overfitting"),
        ([], "max-dev-error = 0.1\nmax-eror = 1\n", "unknown key 'max-eror' (did you mean 'max-dev-error'?)"),
        ([], 'max-dev-error = "5%"\n', "'max-dev-error' must be a number, got '5%'"),
        (["--baseline", "missing.json"], None, "missing.json does not exist"),
    ],
)
def test_policy_errors_exit_2_naming_the_key_before_training(make_recipe, tmp_path, args, policy, message):
    extra = []
    if policy is not None:
        (tmp_path / "gate.toml").write_text(policy)
        extra = ["--policy", "gate.toml"]
    result = run_cli(tmp_path, "check", make_recipe(TINY), "-q", *args, *extra)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing trained, nothing rendered


def test_a_baseline_of_another_task_is_rejected(diagnosed, tmp_path):
    document = json.loads((diagnosed / "classification.json").read_text())
    (tmp_path / "reg.json").write_text(json.dumps({**document, "task": "regression"}))
    recipe = diagnosed / "classification.py"
    result = run_cli(tmp_path, "check", recipe, "-q", "--baseline", "reg.json")
    assert result.exit_code == 2
    assert "is from a regression recipe; recipe 'tiny' is classification" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "report nothing.json does not exist"),
        ("{not json", "is not JSON"),
        ('{"recipe": "x"}', "is not a dldoctor report: it has no 'schema' key"),
        ('{"schema": 2}', "has schema 2; this dldoctor reads schema 1"),
        ('{"schema": 1, "recipe": "x"}', "is not a complete schema-1 report: missing task"),
    ],
)
def test_report_rejects_what_it_cannot_read_with_exit_2(tmp_path, content, message):
    if content is not None:
        (tmp_path / "nothing.json").write_text(content)
    result = run_cli(tmp_path, "report", "nothing.json")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_report_junit_needs_a_check_report(diagnosed, tmp_path):
    result = run_cli(tmp_path, "report", diagnosed / "classification.json", "--junit", "d.xml")
    assert result.exit_code == 2 and "has no check results" in result.stderr
