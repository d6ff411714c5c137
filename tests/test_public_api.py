"""The package's public surface is exactly what __all__ says, and all of it resolves."""

import dldoctor


def test_all_is_the_public_surface():
    assert sorted(dldoctor.__all__) == sorted(
        [
            "DldoctorError",
            "Finding",
            "Options",
            "Recipe",
            "Report",
            "Splits",
            "__version__",
            "diagnose",
            "load_recipe",
        ]
    )
    for name in dldoctor.__all__:
        assert getattr(dldoctor, name) is not None


def test_no_other_public_names_leak():
    public = {n for n in vars(dldoctor) if not n.startswith("_")}
    submodules = {
        "baseline",
        "bayes",
        "cli",
        "data",
        "diagnosis",
        "doctor",
        "errors",
        "fmt",
        "recipe",
        "report",
        "stats",
        "training",
    }
    assert public - submodules <= set(dldoctor.__all__)
