"""The probe seam: a probe that raises is recorded, the diagnosis completes, the JSON is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import jsonschema
import pytest
from rich.console import Console

from dldoctor.diagnosis import Evidence, Setup, TrainingSignals
from dldoctor.probes import Probe, RunContext, run_probes
from dldoctor.report.console import render
from dldoctor.report.markdown import render_markdown
from dldoctor.report.model import ProbeSection, ReportData
from dldoctor.report.stored import schema
from dldoctor.stats import Estimate

CHECKPOINTED = """
from torch.utils.checkpoint import checkpoint

class Checkpointed(nn.Module):
    # trains fine; the Hessian's double backward cannot go through a reentrant checkpoint
    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Sequential(nn.Linear(4, 16), nn.Tanh()), nn.Linear(16, 3)

    def forward(self, x):
        return self.out(checkpoint(self.hidden, x, use_reentrant=True))

recipe = dd.Recipe(name="checkpointed", model=Checkpointed, data=make_data, **OPTIONS)
"""

NAN_FROM_THE_START = """
class Poisoned(nn.Module):
    # every output is NaN: training diverges at once, and so does the follow-up range test
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(4, 3)

    def forward(self, x):
        return self.net(x) * float("nan")

recipe = dd.Recipe(name="poisoned", model=Poisoned, data=make_data, **OPTIONS)
"""


def diagnose_json(cli, make_recipe, tmp_path, body: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    result = cli("diagnose", make_recipe(body), "--quiet", "--json", out)
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema()).validate(report)
    return result.code, report


def test_a_hessian_that_raises_is_recorded_and_the_diagnosis_completes(cli, make_recipe, tmp_path):
    code, report = diagnose_json(cli, make_recipe, tmp_path, CHECKPOINTED)
    assert code == 0
    assert report["probe_failures"]["hessian"].startswith("RuntimeError")
    assert report["critical_point"] is None
    assert report["gradients"] is not None  # the other probes ran
    turned_off = tmp_path / "no-hessian.json"
    cli("diagnose", tmp_path / "recipe_under_test.py", "--quiet", "--no-hessian", "--json", turned_off)
    assert report["verdict"] == json.loads(turned_off.read_text())["verdict"]


def test_a_range_test_that_raises_leaves_the_optimisation_failure_it_followed(cli, make_recipe, tmp_path):
    code, report = diagnose_json(cli, make_recipe, tmp_path, NAN_FROM_THE_START)
    assert code == 0
    assert report["verdict"] == "optimization_failure"
    assert "lr_range_test" in report["probe_failures"]
    assert report["lr_range_test"] is None


def test_a_failed_probe_is_shown_in_the_console_and_in_markdown(cli, make_recipe, tmp_path):
    stored, markdown = tmp_path / "report.json", tmp_path / "summary.md"
    fresh = cli("diagnose", make_recipe(CHECKPOINTED), "--json", stored)
    assert "Probe failed — hessian: RuntimeError" in " ".join(fresh.stdout.split())
    cli("report", stored, "--quiet", "--markdown", markdown)
    assert "**hessian**: RuntimeError" in markdown.read_text()


# The runner itself, on stand-in probes: no training needed.


@dataclass
class Note(Probe):
    """Appends its name to the evidence's optimiser field, so the order of runs is visible."""

    name: str
    fail: bool = False
    skip_unless_after: str | None = None

    def wanted(self, ctx: RunContext, evidence: Evidence) -> str | None:
        if self.skip_unless_after and self.skip_unless_after not in evidence.setup.optimizer:
            return f"needs {self.skip_unless_after} first"
        return None

    def run(self, ctx: RunContext, evidence: Evidence) -> str:
        if self.fail:
            raise ValueError(f"{self.name} broke\nsecond line")
        return self.name

    def add(self, evidence: Evidence, result: object) -> Evidence:
        setup = replace(evidence.setup, optimizer=f"{evidence.setup.optimizer}+{result}")
        return replace(evidence, setup=setup)


@pytest.fixture
def blank() -> Evidence:
    est = Estimate(0.1, 0.05, 0.15)
    return Evidence(
        task="classification",
        scale=1.0,
        errors={"train": est, "train_dev": est, "dev": est},
        bayes=None,
        training=TrainingSignals(initial_loss=1.0, final_loss=0.5, epoch_losses=(0.5,), dev_errors=(0.1,)),
        setup=Setup("sgd", 0.1, 0.9, 32, 1, 0.0, 100),
    )


def test_the_runner_records_a_failure_and_runs_every_later_probe(blank):
    run = run_probes([Note("a"), Note("b", fail=True), Note("c")], None, blank)  # type: ignore[arg-type]
    assert run.failures == {"b": "ValueError: b broke"}
    assert run.results == {"a": "a", "c": "c"}
    assert run.evidence.setup.optimizer == "sgd+a+c"


def test_a_follow_up_sees_the_evidence_of_the_probes_before_it(blank):
    late, again = Note("late", skip_unless_after="early"), Note("again", skip_unless_after="early")
    probes = [late, Note("early"), again]
    run = run_probes(probes, None, blank)  # type: ignore[arg-type]
    assert run.skipped == {"late": "needs early first"}
    assert list(run.results) == ["early", "again"]


def test_a_failed_probe_s_result_does_not_reach_the_evidence(blank):
    run = run_probes([Note("x", fail=True), Note("y", skip_unless_after="x")], None, blank)  # type: ignore[arg-type]
    assert run.skipped == {"y": "needs x first"}
    assert run.evidence.setup.optimizer == "sgd"


@dataclass
class Shown(Note):
    """A probe the verdict does not read: its result reaches the report as its own section."""

    broken_section: bool = False

    def section(self, ctx: RunContext, result: object) -> ProbeSection | None:
        if self.broken_section:
            raise KeyError("no such number")
        return ProbeSection(f"{result} measured", (f"{result} = 1.5",), {"value": 1.5})


def test_a_probe_s_own_section_reaches_the_run_and_a_failing_one_is_recorded(blank):
    run = run_probes([Shown("s"), Shown("t", broken_section=True)], None, blank)  # type: ignore[arg-type]
    assert run.sections == {"s": ProbeSection("s measured", ("s = 1.5",), {"value": 1.5})}
    assert run.failures == {"t": "KeyError: 'no such number'"}


def test_a_probe_section_renders_everywhere_and_reads_back_from_json():
    shown = ProbeSection("Seeds measured", ("spread 1.5 points", "second | line"), {"sd": 1.5})
    data = ReportData(sections={"seeds": shown})
    stored = ReportData.from_dict(json.loads(json.dumps(data.to_dict())))
    assert stored.sections == {"seeds": shown}
    markdown = render_markdown(stored)
    assert "### Seeds measured\n\n- spread 1.5 points\n- second \\| line" in markdown
    console = Console(record=True, width=100)
    render(stored, console)
    text = console.export_text()
    assert "Seeds measured\nspread 1.5 points\nsecond | line" in text
