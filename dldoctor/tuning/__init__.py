"""Hyperparameter search for recipes (`dldoctor tune`).

Modules: space (what is searched), runner (how a trial trains), samplers, storage (where the study
lives), study (`tune`, the loop), progress and results (what it found), params (export and
`diagnose --params`), guidance (diagnosis-aware search spaces). This package file stays empty so
validating a recipe's search_space does not import torch or Optuna.
"""
