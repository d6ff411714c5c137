"""The package's public surface is exactly what __all__ says, and all of it resolves."""

import pkgutil

import dldoctor


def test_all_is_the_public_surface():
    assert sorted(dldoctor.__all__) == sorted(
        [
            "DataError",
            "DldoctorError",
            "DoctorError",
            "ModelError",
            "ParamsError",
            "PolicyError",
            "RecipeError",
            "ReportError",
            "StorageError",
            "TuningError",
            "TuningWontHelp",
            "UsageError",
            "UserCodeError",
            "Finding",
            "DiagnoseOptions",
            "Recipe",
            "Report",
            "Splits",
            "__version__",
            "diagnose",
            "diagnose_predictions",
            "find_lr",
            "load_predictions",
            "load_recipe",
            "monitor",
        ]
    )
    for name in dldoctor.__all__:
        assert getattr(dldoctor, name) is not None
    assert set(dldoctor._HOMES) | {"__version__"} == set(dldoctor.__all__)


def test_building_a_recipe_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, dldoctor as dd; dd.Recipe, dd.Splits; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_other_public_names_leak():
    public = {n for n in vars(dldoctor) if not n.startswith("_")}
    submodules = {m.name for m in pkgutil.iter_modules(dldoctor.__path__)}
    assert public - submodules <= set(dldoctor.__all__)


def test_every_user_facing_error_is_a_doctor_error_exported_from_the_package():
    import inspect

    from dldoctor import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert classes and all(issubclass(c, dldoctor.DoctorError) for c in classes)
    assert {c.__name__ for c in classes} <= set(dldoctor.__all__)
