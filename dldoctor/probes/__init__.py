"""Probes: each measures one thing about a trained run, in its own file, isolated from the others.

To add one, write a `Probe` subclass in a new file and put an instance in `PROBES` where the
evidence it needs is already gathered. A probe that raises is recorded in the report's
`probe_failures`; the diagnosis completes from the rest.
"""

from __future__ import annotations

from dldoctor.probes._base import Probe, RunContext
from dldoctor.probes.bayes_error import BayesError
from dldoctor.probes.critical_point import Hessian
from dldoctor.probes.cross_validation import CrossValidation
from dldoctor.probes.easier_models import Convex, RecipeBaseline, Shallower
from dldoctor.probes.error_analysis import ErrorAnalysisProbe
from dldoctor.probes.gradients import Gradients
from dldoctor.probes.leakage import Leakage
from dldoctor.probes.learning_curve import LearningCurveProbe
from dldoctor.probes.mismatch import Mismatch
from dldoctor.probes.model_checks import ModelChecks
from dldoctor.probes.range_test import RangeTestProbe
from dldoctor.probes.regimen import RegimenProbe
from dldoctor.probes.runner import ProbeRun, run_probes
from dldoctor.probes.sanity import Sanity
from dldoctor.probes.seed_repeat import SeedRepeat

__all__ = ["PROBES", "Probe", "ProbeRun", "RunContext", "run_probes"]

# In order: a follow-up comes after the evidence its `wanted` reads.
PROBES: tuple[Probe, ...] = (
    BayesError(),
    ModelChecks(),
    Convex(),
    Sanity(),
    Gradients(),
    RegimenProbe(),
    Hessian(),
    Mismatch(),
    Leakage(),
    LearningCurveProbe(),
    Shallower(),
    RecipeBaseline(),
    RangeTestProbe(),
    CrossValidation(),
    ErrorAnalysisProbe(),
    SeedRepeat(),
)
