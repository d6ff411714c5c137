"""The README's "Use it in your own loop" section runs as written: its Python, then its commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
from conftest import REPO
from typer.testing import CliRunner

from dldoctor.cli import app
from dldoctor.report.stored import schema


def section_blocks(title: str) -> list[tuple[str, str]]:
    text = (REPO / "README.md").read_text()
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(python|bash)\n(.*?)```", section, flags=re.S)


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}  # tiny models: see conftest
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_the_use_it_in_your_own_loop_snippets_run_as_written(tmp_path, monkeypatch):
    blocks = section_blocks("Use it in your own loop")
    python = "\n".join(code for kind, code in blocks if kind == "python")
    ran = run([sys.executable, "-c", python], tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    commands = [line for kind, code in blocks if kind == "bash" for line in code.splitlines() if line]
    monkeypatch.chdir(tmp_path)
    for command in commands:  # in this process: `python -m dldoctor` itself is tested in test_cli
        args = command.split()
        assert args[0] == "dldoctor"
        done = CliRunner().invoke(app, args[1:])
        assert done.exit_code == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    for name in ("report.json", "from_predictions.json", "lightning_report.json", "hf_report.json"):
        jsonschema.validate(json.loads((tmp_path / name).read_text()), schema())
    assert (tmp_path / "junit.xml").exists() and (tmp_path / "summary.md").exists()
