"""`dldoctor tune` end to end on tiny generated recipes: resume, divergence, OOM, Ctrl-C, export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from conftest import REPO
from optuna.trial import TrialState

from dldoctor.tuning import storage as storage_module
from dldoctor.tuning.storage import StorageSettings, open_storage
from dldoctor.tuning.study import TuneOptions, tune

WIDE = """
def make_wide_model(hidden=16):
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 3))

recipe = dd.Recipe(name="tiny-tune", model=make_wide_model, data=make_data, lr=1e-2, batch_size=64,
                   epochs=2, search_space={"hidden": (4, 32, "log")})
"""


def storage_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]


def test_rerun_resumes_and_finished_trials_count_toward_the_budget(make_recipe, tmp_path):
    path = make_recipe(WIDE)
    options = TuneOptions(trials=3, storage=storage_url(tmp_path), sampler="random", pruner="none")
    first = tune(path, options)
    assert first.counts.finished == 3 and first.setup.finished == 0
    second = tune(path, TuneOptions(**{**options.__dict__, "trials": 5}))
    assert second.setup.finished == 3 and second.counts.finished == 5
    study = optuna.load_study(study_name="tiny-tune", storage=storage_url(tmp_path))
    assert len(finished(study)) == 5 and [t.number for t in study.trials] == list(range(5))
    assert tune(path, TuneOptions(**{**options.__dict__, "trials": 5})).counts.finished == 5


def test_a_packed_study_trains_what_a_sequential_study_trains_and_resumes_alike(make_recipe, tmp_path):
    path = make_recipe('recipe = dd.Recipe(name="packed", model=make_model, data=make_data, **OPTIONS)')
    values = {}
    for pack in (1, "auto"):  # the default space searches the batch size: auto packs by it
        url = f"sqlite:///{tmp_path / f'pack{pack}.db'}"
        options = TuneOptions(trials=3, storage=url, sampler="random", pruner="none", pack=pack)
        assert tune(path, options).counts.finished == 3
        resumed = tune(path, TuneOptions(**{**options.__dict__, "trials": 6}))
        assert resumed.setup.finished == 3 and resumed.counts.finished == 6
        assert ("packing: up to" in resumed.setup.packing) == (pack == "auto"), resumed.setup.packing
        study = optuna.load_study(study_name="packed", storage=url)
        assert [t.number for t in study.trials] == list(range(6)) and len(finished(study)) == 6
        values[pack] = [(t.params, t.value) for t in study.trials]
    assert [p for p, _ in values["auto"]] == [p for p, _ in values[1]]
    assert [v for _, v in values["auto"]] == pytest.approx([v for _, v in values[1]], abs=1e-9)


def test_resuming_with_another_metric_is_refused(make_recipe, tmp_path, cli):
    path = make_recipe(WIDE)
    tune(path, TuneOptions(trials=1, storage=storage_url(tmp_path), pruner="none"))
    result = cli(
        "tune", path, "--trials", "2", "--storage", storage_url(tmp_path), "--metric", "dev_loss", "-q"
    )
    assert result.code == 2 and "different metric" in result.stderr and "--study NAME" in result.stderr


def test_diverging_trials_stop_at_once_and_are_recorded_as_diverged(make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="blows-up", model=make_model, data=make_data, optimizer="sgd", epochs=4,
                           search_space={"lr": (1e3, 1e4)})
        """
    )
    result = tune(path, TuneOptions(trials=2, storage=storage_url(tmp_path), pruner="none"))
    assert result.counts.diverged == 2 and result.best is None
    for trial in optuna.load_study(study_name="blows-up", storage=storage_url(tmp_path)).trials:
        assert trial.state == TrialState.PRUNED and trial.user_attrs["diverged"] is True
        assert len(trial.intermediate_values) < 4, "a diverged trial must not train to the end"


def test_out_of_memory_fails_one_trial_and_the_study_goes_on(make_recipe, tmp_path):
    path = make_recipe(
        """
        class Greedy(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = make_model()

            def forward(self, x):
                if self.training and x.shape[0] >= 128:
                    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
                return self.net(x)

        recipe = dd.Recipe(name="greedy", model=Greedy, data=make_data, lr=1e-2, epochs=1,
                           search_space={"batch_size": (64, 128)})
        """
    )
    result = tune(path, TuneOptions(trials=4, storage=storage_url(tmp_path), sampler="random", pruner="none"))
    study = optuna.load_study(study_name="greedy", storage=storage_url(tmp_path))
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert failed and all(t.user_attrs["note"] == "out of memory at batch size 128" for t in failed)
    assert result.counts.failed == len(failed) and result.counts.finished == 4
    assert all(t.params["log2_batch_size"] == 6 for t in finished(study))


def test_export_then_diagnose_with_params_reproduces_the_best_trial(make_recipe, tmp_path, cli):
    path = make_recipe(WIDE)
    exported, report = tmp_path / "best.json", tmp_path / "report.json"
    tuned = cli(
        "tune", path, "--trials", "3", "--storage", storage_url(tmp_path), "--export", exported, "--seed", "3"
    )
    assert tuned.code == 0, tuned.stderr
    assert "Best trial" in tuned.stdout and "Search space" in tuned.stdout
    params = json.loads(exported.read_text())
    assert (
        set(params["recipe_params"]) == {"lr", "beta", "batch_size", "epochs"}
        and "hidden" in params["model_params"]
    )
    diagnosed = cli(
        "diagnose", path, "--params", exported, "--seed", "3", "--json", report, "-q", "--no-easier-model"
    )
    assert diagnosed.code in (0, 1), diagnosed.stderr
    settings = json.loads(report.read_text())["settings"]
    assert (
        settings["lr"] == params["recipe_params"]["lr"]
        and settings["batch_size"] == params["recipe_params"]["batch_size"]
    )
    assert json.loads(report.read_text())["errors"]["dev"] == pytest.approx(params["value"], abs=1e-12)


def test_params_for_a_model_without_that_keyword_are_refused(make_recipe, tmp_path, cli):
    exported = tmp_path / "best.json"
    assert (
        cli(
            "tune",
            make_recipe(WIDE),
            "--trials",
            "1",
            "--storage",
            storage_url(tmp_path),
            "--export",
            exported,
            "-q",
        ).code
        == 0
    )
    other = make_recipe(
        'recipe = dd.Recipe(name="t", model=make_model, data=make_data, **OPTIONS)\n', "other.py"
    )
    result = cli("diagnose", other, "--params", exported, "--force", "-q")  # across recipes on purpose
    assert result.code == 2 and "takes no such keyword argument" in result.stderr


def test_csv_and_plots_are_written_and_the_study_is_a_genuine_optuna_study(make_recipe, tmp_path, cli):
    table, plots = tmp_path / "trials.csv", tmp_path / "plots"
    result = cli(
        "tune",
        make_recipe(WIDE),
        "--trials",
        "3",
        "--storage",
        storage_url(tmp_path),
        "--csv",
        table,
        "--plots",
        plots,
        "--study",
        "mine",
    )
    assert result.code == 0, result.stderr
    study = optuna.load_study(study_name="mine", storage=storage_url(tmp_path))
    assert study.direction == optuna.study.StudyDirection.MINIMIZE and len(finished(study)) == 3
    assert study.best_trial.value == min(t.value for t in study.trials if t.state == TrialState.COMPLETE)
    header = table.read_text().splitlines()[0].split(",")
    assert {"number", "value", "params_lr", "setting_beta", "status"} <= set(header)
    assert sorted(p.name for p in plots.iterdir()) == [
        "history.png",
        "importances.png",
        "parallel_coordinates.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in plots.iterdir())


def test_default_storage_is_an_sqlite_file_in_the_working_directory(make_recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = tune(make_recipe(WIDE), TuneOptions(trials=1, pruner="none"))
    assert result.setup.storage == f"sqlite:///{tmp_path / 'dldoctor-tune.db'}"
    assert (tmp_path / "dldoctor-tune.db").is_file()


def test_a_new_study_file_starts_from_a_cached_empty_one_that_optuna_accepts(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = StorageSettings()
    for name in ("a.db", "b.db"):  # the first makes the template, the second only copies it
        open_storage(f"sqlite:///{tmp_path / name}", settings).engine.dispose()
    assert len(list((tmp_path / "cache" / "dldoctor").glob("optuna-*.db"))) == 1
    checked = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'b.db'}")  # Optuna's own version check
    optuna.create_study(storage=checked, study_name="s").optimize(lambda t: t.suggest_float("x", 0, 1), 2)
    assert len(optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'b.db'}").trials) == 2


def test_without_a_writable_cache_optuna_creates_the_schema_itself(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}", StorageSettings())
    assert optuna.create_study(storage=storage, study_name="s").study_name == "s"


def test_a_study_folder_the_copy_cannot_be_made_in_falls_back_to_optuna_creating_the_schema(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def read_only(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(storage_module.tempfile, "TemporaryDirectory", read_only)
    monkeypatch.setattr(storage_module, "_template", lambda: tmp_path / "any.db")
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}", StorageSettings())
    assert optuna.create_study(storage=storage, study_name="s").study_name == "s"


@pytest.mark.parametrize("pack", ["1", "4"])
def test_ctrl_c_stops_cleanly_keeps_finished_trials_and_a_rerun_resumes(make_recipe, tmp_path, pack):
    path = make_recipe(WIDE.replace("epochs=2", "epochs=4"))
    url = storage_url(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "dldoctor", "tune", str(path), "--storage", url, "--pruner", "none"]
    command += ["--pack", pack]
    process = subprocess.Popen(  # SIGINT as a terminal delivers it, even where pytest inherited it ignored
        [*command, "--trials", "100"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _complete(url) < 1:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted" in out and "Traceback" not in out + err
    study = optuna.load_study(study_name="tiny-tune", storage=url)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states and states.count(TrialState.COMPLETE) >= 1
    kept = len(finished(study))
    rerun = subprocess.run(
        [*command, "--trials", str(kept + 1), "-q"], env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert len(finished(optuna.load_study(study_name="tiny-tune", storage=url))) == kept + 1


def _complete(url: str) -> int:
    try:
        study = optuna.load_study(study_name="tiny-tune", storage=url)
    except KeyError:
        return 0
    return sum(t.state == TrialState.COMPLETE for t in study.trials)


def test_an_optimiser_without_beta_is_tuned_without_it_and_the_study_says_so(make_recipe, tmp_path):
    path = make_recipe(
        """
        recipe = dd.Recipe(name="adagrad-tune", model=make_model, data=make_data, optimizer="adagrad",
                           lr=1e-2, batch_size=64, epochs=1)
        """
    )
    result = tune(path, TuneOptions(trials=1, storage=storage_url(tmp_path), pruner="none"))
    assert "one_minus_beta" not in [d.name for d in result.setup.space.dimensions]
    assert any("β is not searched: adagrad" in note for note in result.setup.notes)
    assert result.counts.finished == 1
