"""Option groups are spread into flags and built by name; the check flags are CheckPolicy's keys."""

import dataclasses

import typer
from typer.testing import CliRunner

from dldoctor.cli import app
from dldoctor.cli_options import Run, Shell, grouped
from dldoctor.gates.policy import KEYS, CheckPolicy
from dldoctor.tuning.pruners import PRUNERS, make_pruner
from dldoctor.tuning.samplers import SAMPLERS, make_sampler


def test_a_command_receives_its_groups_built_from_the_flags_given():
    seen = []
    demo = typer.Typer()

    @demo.command()
    @grouped
    def show(name: str, *, run: Run, shell: Shell) -> None:
        seen.append((name, run, shell))

    result = CliRunner().invoke(demo, ["x", "--seed", "3", "--threads", "2"])
    assert result.exit_code == 0, result.output
    assert seen == [("x", Run(device=None, seed=3), Shell(debug=False, threads=2))]


def test_every_policy_key_is_a_check_flag_with_the_policy_s_help():
    check = typer.main.get_command(app).commands["check"]
    flags = {p.name: p for p in check.params}
    for field in dataclasses.fields(CheckPolicy):
        if field.name in KEYS.values():
            assert flags[field.name].help == field.metadata["help"]
    assert flags["strict"].opts == ["--strict"] and not flags["strict"].secondary_opts


def test_every_registered_sampler_and_pruner_builds():
    for name in SAMPLERS:
        assert make_sampler(name, seed=1, explore=2, qmc_seed=0) is not None
    for name in PRUNERS:
        assert make_pruner(name, epochs=5) is not None
