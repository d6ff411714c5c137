"""Fault: a warm-up schedule lr × 1.02^step whose cap ("stop growing at step 100") was lost, so the
learning rate keeps growing by 2 % per step: ×7 by step 100, ×400 by step 300, ×10⁵ by the end of
the 600 steps. SGD + momentum on the digits first learns, then the loss blows up once the rate
passes ~0.5. Cure: the warm-up capped at step 100 (lr × 1.02^min(step, 100))."""

import clinic
import torch

import dldoctor as dd

SOURCE = "DeepFD: learning-rate fault (schedule); AUTOTRAINER symptoms: exploding loss, NaN"
EXPECTED = "optimization_failure"
WHY = "the rate the scheduler produces ends ~10⁵× too large: divergence caused by the optimiser set-up"


def uncapped_warmup(optimizer, total_steps):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.02**step)


def capped_warmup(optimizer, total_steps):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.02 ** min(step, 100))


SETUP = dict(
    model=lambda: clinic.mlp([64, 128, 128, 10]),
    data=clinic.digits_splits,
    scheduler=uncapped_warmup,
    optimizer="sgd",
    lr=2e-3,
    beta=0.9,
    batch_size=64,
    epochs=30,
)
CURE = dict(scheduler=capped_warmup)
recipe = dd.Recipe(name="h2-of-warmup-without-cap", **SETUP)
