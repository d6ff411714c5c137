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
    from dldoctor.errors import DldoctorError
    from dldoctor.monitoring import monitor
    from dldoctor.posthoc import diagnose_predictions
    from dldoctor.predictions import load_predictions
    from dldoctor.recipe import Recipe, Splits, load_recipe
    from dldoctor.report import Report

_HOMES = {
    "DiagnoseOptions": "dldoctor.doctor",
    "DldoctorError": "dldoctor.errors",
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
    "DiagnoseOptions",
    "DldoctorError",
    "Finding",
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


def __getattr__(name: str) -> _typing.Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'dldoctor' has no attribute {name!r}")
    value = getattr(_importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
