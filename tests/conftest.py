"""Shared helpers: recipes are written into tmp_path by each test, never kept as fixtures on disk."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from dldoctor.cli import app

if TYPE_CHECKING:
    from dldoctor.report import Report

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The tests train tiny models: one intra-op thread is as fast on an idle machine and several
    times faster on a busy one, where two threads per process oversubscribe the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


RECIPES = REPO / "recipes"


# The diagnoses more than one test file asks for; only these are kept (a report holds its model and
# data: keeping all 45 of test_recipes' runs took 0.8 GB more memory for no reuse).
SHARED_DIAGNOSES = {
    ("digits.py", 0),
    ("digits.py", 1),
    ("healthy.py", 0),
    ("high_variance.py", 0),
    ("optimization_failure.py", 0),
}


@pytest.fixture(scope="session")
def shipped() -> Callable[..., Report]:
    """`shipped(name, seed)`: the default diagnosis of a shipped recipe on the CPU, run once per session —
    the verdict table, the entry-point comparison and the CLI tests assert on the same run."""
    import dldoctor as dd

    reports: dict[tuple[str, int], Report] = {}

    def diagnosed(name: str, seed: int = 0) -> Report:
        if (name, seed) in reports:
            return reports[name, seed]
        report = dd.diagnose(RECIPES / name, dd.DiagnoseOptions(seed=seed, device="cpu"))
        if (name, seed) in SHARED_DIAGNOSES:
            reports[name, seed] = report
        return report

    return diagnosed


# A tiny, fast, well-behaved recipe; tests override pieces of it to break one thing at a time.
BASE_RECIPE = """
import numpy as np
import torch
from torch import nn
import dldoctor as dd

def blobs(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = 3.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))
    return x.astype(np.float32), y

def make_data(seed):
    return dd.Splits(train=blobs(600, seed), dev=blobs(300, seed + 1))

def make_model():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

OPTIONS = dict(lr=1e-2, batch_size=64, epochs=3)
"""


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def make_recipe(tmp_path: Path) -> Callable[..., Path]:
    """Write BASE_RECIPE plus `body` (which must define `recipe`, or deliberately not) to a file."""

    def write(body: str, name: str = "recipe_under_test.py") -> Path:
        path = tmp_path / name
        path.write_text(BASE_RECIPE + textwrap.dedent(body))
        return path

    return write


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    runner = CliRunner()

    def invoke(*args: str) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args])
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke
