"""Read the training set-up itself: faults in the schedule, clipping, precision, batching, order or loss.

Each reading is a ProbeOutcome like the optimisation probes; it names the set-up field to change.
Thresholds are stated where they are defined, with the reason.
"""

from __future__ import annotations

from dldoctor import task as tasks
from dldoctor.diagnosis.evidence import Evidence, Regimen
from dldoctor.diagnosis.probes import ProbeOutcome

EARLY_DECAY = 0.75  # the rate reached ~0 before three quarters of the run: a quarter or more wasted
EARLY_DIVERGENCE = 0.1  # a non-finite loss within the first tenth of the run
BINDS = 0.9  # clipping that binds on nine steps in ten rescales nearly every step: a lower lr in disguise
SKIPPED = 0.1  # fp16 steps skipped (overflow) or zero (underflow) on more than one step in ten
SORTED = 0.5  # label order halfway from random to sorted
SUMMED = 1.5  # per-example loss grows this much when the batch doubles: it depends on the batch
INCONSISTENT = 3.0  # the recipe's loss starts this many times above the task's own loss


def assess(ev: Evidence) -> list[ProbeOutcome]:
    """Every set-up reading the run had data for."""
    r = ev.regimen
    if r is None:
        return []
    found = [
        _schedule(r),
        _warmup(r),
        _clipping(r),
        _fp16(r),
        _accumulation(r),
        _order(r, ev.task),
        _loss_scaling(r),
        _loss_start(r, ev.task),
    ]
    return [f for f in found if f is not None]


def _warn(probe: str, summary: str, numbers: dict, remedy: str) -> ProbeOutcome:
    """A reading that found a fault in the set-up, with the change that fixes it."""
    return ProbeOutcome(probe, "warn", summary, numbers, remedy)


def _schedule(r: Regimen) -> ProbeOutcome | None:
    if r.decayed_at is None or r.decayed_at >= EARLY_DECAY:
        return None
    wasted = 1 - r.decayed_at
    return _warn(
        "setup.schedule",
        f"the learning-rate schedule reached ~0 (below 1/1000 of its peak {r.lr_peak:.2g}) after"
        f" {100 * r.decayed_at:.0f}% of the run: the last {100 * wasted:.0f}% of the steps barely moved",
        {"decayed_at": r.decayed_at, "lr_peak": r.lr_peak, "lr_final": r.lr_final},
        "Stretch the schedule over the whole run (its total steps = epochs × optimiser steps per epoch),"
        " or train fewer epochs.",
    )


def _warmup(r: Regimen) -> ProbeOutcome | None:
    if r.diverged_at is None or r.diverged_at >= EARLY_DIVERGENCE or r.warmup:
        return None
    return _warn(
        "setup.warmup",
        f"the loss went non-finite {100 * r.diverged_at:.1f}% into the run, with the learning rate at"
        f" {r.lr_peak:.2g} from the first step (no warm-up)",
        {"diverged_at": r.diverged_at, "lr_peak": r.lr_peak},
        "Warm the learning rate up (scheduler='warmup_cosine' or 'onecycle'), or lower lr.",
    )


def _clipping(r: Regimen) -> ProbeOutcome | None:
    if r.clipped_share is None or r.clip_factor is None:
        return None
    numbers = {"grad_clip": r.grad_clip, "clipped_share": r.clipped_share, "clip_factor": r.clip_factor}
    if r.clipped_share < BINDS:
        return ProbeOutcome(
            "setup.clipping", "ok", f"clipping bound on {100 * r.clipped_share:.0f}% of steps", numbers
        )
    if r.scale_free:
        effect = (
            "an optimiser that divides out the gradient's scale undoes most of that, so clipping only"
            " re-weights steps against each other"
        )
    else:
        effect = f"the effective learning rate is about {r.lr * r.clip_factor:.2g}, not {r.lr:g}"
    return _warn(
        "setup.clipping",
        f"gradient clipping at {r.grad_clip:g} bound on {100 * r.clipped_share:.0f}% of steps, scaling"
        f" the median gradient by {r.clip_factor:.2g}: it no longer trims spikes; {effect}",
        numbers,
        "Raise grad_clip to about the 90th percentile of the gradient norm so it trims only spikes,"
        " and set the learning rate you want directly.",
    )


def _fp16(r: Regimen) -> ProbeOutcome | None:
    if r.precision != "fp16" or not r.measured_steps:
        return None
    overflow, underflow = r.overflow_steps / r.measured_steps, r.underflow_steps / r.measured_steps
    numbers = {
        "overflow_steps": r.overflow_steps,
        "underflow_steps": r.underflow_steps,
        "steps": r.measured_steps,
    }
    if overflow <= SKIPPED and underflow <= SKIPPED:
        return ProbeOutcome(
            "setup.fp16",
            "ok",
            f"fp16: {r.overflow_steps} of {r.measured_steps} steps overflowed,"
            f" {r.underflow_steps} underflowed",
            numbers,
        )
    what = "overflowed (skipped by the grad scaler)" if overflow > SKIPPED else "underflowed to zero"
    share = max(overflow, underflow)
    return _warn(
        "setup.fp16",
        f"fp16: {100 * share:.0f}% of {r.measured_steps} optimiser steps {what}",
        numbers,
        "Train in bf16 (precision='bf16', same range as fp32) or fp32; in fp16 keep the loss and"
        " normalisation layers in fp32 and lower lr.",
    )


def _accumulation(r: Regimen) -> ProbeOutcome | None:
    if r.effective_batch <= r.n_train:
        return None
    return _warn(
        "setup.accumulation",
        f"the effective batch (batch_size × accumulate = {r.effective_batch}) is larger than the training"
        f" set ({r.n_train}): one optimiser step per epoch, {r.optimizer_steps} in the whole run",
        {"effective_batch": r.effective_batch, "n_train": r.n_train, "optimizer_steps": r.optimizer_steps},
        "Lower accumulate (or batch_size) so that an epoch takes several optimiser steps.",
    )


def _order(r: Regimen, task: str) -> ProbeOutcome | None:
    if r.shuffle or r.label_order is None or r.label_order < SORTED:
        return None
    what = tasks.get(task).targets_word
    return _warn(
        "setup.order",
        f"shuffle is off and the training {what} are stored in order (order {r.label_order:.2f}, 0 random,"
        " 1 sorted): each stretch of steps sees one part of the distribution and undoes the last",
        {"label_order": r.label_order},
        "Set shuffle=True, or shuffle the training set once in the data factory.",
    )


def _loss_scaling(r: Regimen) -> ProbeOutcome | None:
    if r.loss_batch_scaling is None or r.loss_batch_scaling < SUMMED:
        return None
    return _warn(
        "setup.loss_reduction",
        f"the recipe's per-example loss grows {r.loss_batch_scaling:.2f}× when the batch doubles: it sums"
        " over the batch, so the step size depends on batch_size",
        {"loss_batch_scaling": r.loss_batch_scaling},
        "Return one loss per example (reduction='none'), not a sum or mean spread over the batch.",
    )


def _loss_start(r: Regimen, task: str) -> ProbeOutcome | None:
    if not r.custom_loss or r.initial_task_loss is None or r.initial_task_loss <= 0:
        return None
    ratio = r.initial_loss / r.initial_task_loss
    if ratio <= INCONSISTENT:
        return None
    own = tasks.get(task).loss_name
    return _warn(
        "setup.loss",
        f"the recipe's loss starts at {r.initial_loss:.3g}, {ratio:.1f}× the task's own {own}"
        f" ({r.initial_task_loss:.3g}) on the same untrained model: it does not match the task",
        {"initial_loss": r.initial_loss, "task_loss": r.initial_task_loss, "ratio": ratio},
        "Check the loss fits the task (e.g. cross-entropy on class indices, not MSE on them) and its scale.",
    )
