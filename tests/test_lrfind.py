"""The learning-rate range test: the sweep, its reading, and the `lr-find` command."""

from __future__ import annotations

import numpy as np
import pytest

import dldoctor as dd
from dldoctor.lrfind import STEPS, suggest


def u_curve() -> tuple[np.ndarray, np.ndarray]:
    lrs = np.geomspace(1e-6, 10, 100)
    x = np.log10(lrs)
    # flat at 2.3, falls between 1e-4 and 1e-2, bottoms near 3e-2, explodes after
    return lrs, 2.3 - 2.0 / (1 + np.exp(-3 * (x + 3))) + np.exp(4 * (x + 1.5)) * 0.05


def test_suggestion_sits_below_the_minimum_on_the_falling_side():
    lrs, losses = u_curve()
    rt = suggest(lrs, losses, "sgd")
    assert 1e-4 < rt.steepest_lr < 1e-2 < rt.min_loss_lr < 0.1
    assert rt.suggested_lr == pytest.approx(min(rt.steepest_lr, rt.min_loss_lr / 10))


def test_a_curve_that_never_falls_gets_no_suggestion():
    lrs = np.geomspace(1e-7, 10, 100)
    rt = suggest(lrs, 2.3 + 0.001 * np.sin(np.arange(100)), "sgd")
    assert rt.suggested_lr is None


def test_the_sweep_stops_once_the_loss_blows_up(make_recipe):
    path = make_recipe("recipe = dd.Recipe(name='t', model=make_model, data=make_data, optimizer='sgd')")
    rt = dd.find_lr(path, seed=0, device="cpu")
    assert len(rt.lrs) < STEPS and rt.lrs[-1] < 10
    assert rt.suggested_lr is not None and 1e-4 < rt.suggested_lr < rt.min_loss_lr


def test_lr_find_writes_a_png_and_prints_the_suggestion(cli, make_recipe, tmp_path):
    path = make_recipe("recipe = dd.Recipe(name='t', model=make_model, data=make_data, **OPTIONS)")
    plot = tmp_path / "lr.png"
    result = cli("lr-find", path, "--plot", plot, "--steps", "40")
    assert result.code == 0, result.stderr
    assert "suggests lr" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "0"], "--start"),
        (["--start", "1", "--end", "0.1"], "--start"),
        (["--steps", "3"], "--steps"),
    ],
)
def test_a_bad_sweep_is_a_usage_error(cli, make_recipe, tmp_path, args, message):
    path = make_recipe("recipe = dd.Recipe(name='t', model=make_model, data=make_data)")
    result = cli("lr-find", path, "--plot", tmp_path / "x.png", *args)
    assert result.code == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_plotting_leaves_pyplot_and_the_backend_alone(tmp_path):
    """A notebook that imports dldoctor keeps its own matplotlib backend: no pyplot, no matplotlib.use."""
    import subprocess
    import sys

    code = (
        "import sys, matplotlib; from pathlib import Path;"
        " from dldoctor.diagnosis import RangeTest, LearningCurve;"
        " from dldoctor.report import plots;"
        " raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend'); before = raw();"
        " plots.range_test_figure(RangeTest((1e-4, 1e-3, 1e-2), (2.0, 1.0, 3.0), 1e-3, 1e-3, 1e-3, 'adam'))"
        f".savefig(Path({str(tmp_path / 'lr.png')!r}));"
        " curve = LearningCurve((100, 200), (0.3, 0.2), (0.1, 0.05), 0.1, 2.0, 0.5, {}, None, 0.01);"
        " plots.learning_curve_figure(curve, 'classification')"
        f".savefig(Path({str(tmp_path / 'curve.png')!r}));"
        " print('matplotlib.pyplot' in sys.modules, raw() == before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert (tmp_path / "lr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
