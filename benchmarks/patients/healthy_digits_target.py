"""Healthy control with a target: the digits MLP with light weight decay; the user accepts a dev
error of 6 % (target_error) and the model reaches ≈3 %."""

import clinic

import dldoctor as dd

SOURCE = "control: a user's target error that the model meets (the course's 'good enough' stop)"
EXPECTED = "healthy"
WHY = "dev error is below the user's target_error: by definition there is nothing to fix"

SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 10]),
    data=clinic.digits_splits,
    target_error=0.06,
    lr=1e-3,
    weight_decay=1e-4,
    batch_size=64,
    epochs=25,
)
recipe = dd.Recipe(name="healthy-digits-target", **SETUP)
