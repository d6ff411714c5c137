"""dldoctor: train a PyTorch recipe, decompose its errors, and name what is wrong."""

from dldoctor._version import __version__
from dldoctor.diagnosis import Finding
from dldoctor.doctor import Options, diagnose
from dldoctor.errors import DldoctorError
from dldoctor.recipe import Recipe, Splits, load_recipe
from dldoctor.report import Report

__all__ = [
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
