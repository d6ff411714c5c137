"""Fault (needs issue 13's `scheduler`): an exponential decay with a rate meant for epochs applied
per step — lr × 0.9^step reaches ~0 after about 50 of 600 steps, and training stops long before
the model fits. Cure: no schedule (or one sized to the run)."""

import clinic
import torch

import dldoctor as dd

SOURCE = (
    "DeepFD: learning-rate fault; AUTOTRAINER: slow convergence; issue 13 reading 'schedule decays to ~0 "
    "early'"
)
EXPECTED = "optimization_failure"
WHY = "the learning rate is ~0 for most of training: the optimiser stops, not the model's capacity"
NEEDS = "issue 13: scheduler"


def per_step_decay(optimizer, total_steps):
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    scheduler=per_step_decay,
    optimizer="sgd",
    lr=0.05,
    beta=0.9,
    batch_size=64,
    epochs=30,
)
CURE = dict(scheduler=None)
recipe = dd.Recipe(name="n13-schedule-decays-to-zero", **SETUP)
