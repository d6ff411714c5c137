"""dldoctor: train a PyTorch recipe, decompose its errors, and name what is wrong.

Names load on first use, so `dldoctor --help` and recipe files that only build a Recipe do not
pay for importing torch.
"""

import importlib as _importlib
import typing as _typing

from dldoctor._version import __version__

if _typing.TYPE_CHECKING:
    from dldoctor.diagnosis import Finding
    from dldoctor.doctor import DiagnoseOptions, diagnose, find_lr
    from dldoctor.errors import (
        DataError,
        DldoctorError,
        DoctorError,
        ModelError,
        ParamsError,
        PolicyError,
        RecipeError,
        ReportError,
        StorageError,
        TuningError,
        TuningWontHelp,
        UsageError,
        UserCodeError,
    )
    from dldoctor.monitoring import monitor
    from dldoctor.posthoc import diagnose_predictions
    from dldoctor.predictions import load_predictions
    from dldoctor.recipe import Recipe, Splits, load_recipe
    from dldoctor.report import Report

_HOMES = {
    "DiagnoseOptions": "dldoctor.doctor",
    "DataError": "dldoctor.errors",
    "DldoctorError": "dldoctor.errors",
    "DoctorError": "dldoctor.errors",
    "ModelError": "dldoctor.errors",
    "ParamsError": "dldoctor.errors",
    "PolicyError": "dldoctor.errors",
    "RecipeError": "dldoctor.errors",
    "ReportError": "dldoctor.errors",
    "StorageError": "dldoctor.errors",
    "TuningError": "dldoctor.errors",
    "TuningWontHelp": "dldoctor.errors",
    "UsageError": "dldoctor.errors",
    "UserCodeError": "dldoctor.errors",
    "Finding": "dldoctor.diagnosis",
    "Recipe": "dldoctor.recipe",
    "Report": "dldoctor.report",
    "Splits": "dldoctor.recipe",
    "diagnose": "dldoctor.doctor",
    "diagnose_predictions": "dldoctor.posthoc",
    "find_lr": "dldoctor.doctor",
    "load_predictions": "dldoctor.predictions",
    "load_recipe": "dldoctor.recipe",
    "monitor": "dldoctor.monitoring",
}

__all__ = [
    "DataError",
    "DiagnoseOptions",
    "DldoctorError",
    "DoctorError",
    "Finding",
    "ModelError",
    "ParamsError",
    "PolicyError",
    "Recipe",
    "RecipeError",
    "Report",
    "ReportError",
    "Splits",
    "StorageError",
    "TuningError",
    "TuningWontHelp",
    "UsageError",
    "UserCodeError",
    "__version__",
    "diagnose",
    "diagnose_predictions",
    "find_lr",
    "load_predictions",
    "load_recipe",
    "monitor",
]


def __getattr__(name: str) -> _typing.Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'dldoctor' has no attribute {name!r}")
    value = getattr(_importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
