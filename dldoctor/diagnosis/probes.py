"""Read the optimisation probes: each yields an outcome with its number, threshold and remedy.

Thresholds are the ones practitioners and instrumentation tools use, checked against this
project's own healthy and broken recipes (see tests/test_probes.py); a probe on its own does not
make a verdict — checks.optimisation decides what the outcomes add up to.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from dldoctor import fmt
from dldoctor import task as tasks
from dldoctor.diagnosis.evidence import CriticalPoint, Evidence, GradientHealth, SanityChecks
from dldoctor.stats import wilson

VANISHING = 1e-3  # first-layer / last-layer gradient norm below this: gradients vanish on the way down
EXPLODING = 1e3  # ... above this: they blow up on the way down
DEAD = 0.7  # share of ReLU units that never fire
ALL_DEAD = 0.99  # ... so many that almost no gradient flows: nothing learns, whatever the learning rate
FROZEN = 1e-9  # per-step |Δw| / |w| below this: the weights do not move at all
SATURATED = 0.5  # share of sigmoid/tanh inputs in the flat tails
UPDATE_LOW, UPDATE_HIGH = 1e-5, 1e-1  # per-step |Δw| / |w|: learning rate too small / too large
INIT_FACTOR = 3.0  # initial loss over the uninformed loss (ln K) that means an overconfident start
FITTED = 0.05  # a batch counts as memorised once its loss falls to this share of where it started
PLATEAU_GAIN = 1e-3  # relative improvement over the last quarter of steps below which the loss is flat
FAR = 1.5  # a loss this many times an easier model's training loss is far from where it could be
OSCILLATING = 1 / 3  # share of second-half epochs whose loss rose by more than RISE
RISE = 0.1
OSCILLATION_WINDOW = 4  # epoch-to-epoch changes, at least, in the second half of training
STILL_FALLING = 0.02  # relative drop over the last quarter of epochs: training was not finished
SADDLE = -0.1  # λmin / λmax below this at a critical point: a saddle, not a minimum
CRITICAL = 0.01  # a point is critical when a Newton-sized step would gain under 1 % of the loss
FLAT = 1e-4  # spectral radius below this share of the loss: a flat region
CONVEX_L2 = 1e-4  # the L2 penalty of the convex easier model (linear or logistic regression)
FAR_FROM_CHANCE = 0.1  # a regression fit explaining under this share of var(y) has not beaten a guess


@dataclass(frozen=True)
class ProbeOutcome:
    """What one probe saw. `status` is "warn" when it points at an optimisation problem."""

    probe: str
    status: str  # "ok", "warn" or "info"
    summary: str
    numbers: dict = field(default_factory=dict)
    remedy: str | None = None
    strong: bool = False  # evidence of failed optimisation even without an easier model to compare


def assess(ev: Evidence) -> list[ProbeOutcome]:
    """Every probe that had data, in the order a practitioner would check them."""
    found: list[ProbeOutcome | None] = []
    found.append(_worse_than_chance(ev))
    if ev.sanity is not None:
        batch = _one_batch(ev.sanity, _run_steps(ev))
        found += [_initial_loss(ev.sanity, ev.task), batch, _zeroed(ev.sanity)]
    if ev.gradients is not None:
        found += _gradient_outcomes(ev.gradients)
    found += [_plateau(ev), _oscillation(ev), _still_falling(ev)]
    if ev.critical_point is not None:
        found.append(_critical(ev.critical_point))
    return [f for f in found if f is not None]


def critical_verdict(cp: CriticalPoint) -> str:
    """'local minimum', 'saddle point', 'flat region' or 'not a critical point'."""
    radius = max(abs(cp.lambda_max), abs(cp.lambda_min))
    if radius <= FLAT * max(abs(cp.loss), 1e-12):
        return "flat region"
    if cp.lambda_max > 0 and cp.grad_norm**2 / (2 * cp.lambda_max) > CRITICAL * max(abs(cp.loss), 1e-12):
        return "not a critical point"
    if cp.lambda_min < SADDLE * abs(cp.lambda_max):
        return "saddle point"
    return "local minimum"


def clip_advice(g: GradientHealth | None) -> str:
    """Clipping near the 90th percentile of observed norms trims the spikes and leaves typical steps alone."""
    if g is None or g.clip_norm is None:
        return "Clip the gradient norm"
    return f"Clip the gradient norm at about {g.clip_norm:.2g} (the 90th percentile of the sampled norms)"


def best_easier_loss(ev: Evidence) -> float | None:
    """The lowest training loss of an easier model regularised like the user's: under more weight decay
    than the convex fit's own L2, that fit is no yardstick, since the decay itself holds the loss up."""
    heavier = ev.setup.weight_decay > CONVEX_L2
    fair = [m for m in ev.easier_models if not (heavier and m.kind == "convex")]
    losses = [m.baseline_loss for m in fair if math.isfinite(m.baseline_loss)]
    return min(losses) if losses else None


def _initial_loss(s: SanityChecks, task: str) -> ProbeOutcome | None:
    if not (math.isfinite(s.initial_loss) and s.expected_initial_loss > 0):
        return None
    ratio = s.initial_loss / s.expected_initial_loss
    kind = tasks.get(task)
    limit = INIT_FACTOR if kind.rate else 10.0
    what = kind.uninformed_name
    numbers = {"initial_loss": s.initial_loss, "expected": s.expected_initial_loss, "ratio": ratio}
    if ratio <= limit:
        return ProbeOutcome(
            "sanity.initial_loss",
            "ok",
            f"initial loss {s.initial_loss:.3g} vs {what} {s.expected_initial_loss:.3g}",
            numbers,
        )
    remedy = (
        "Initialise the output layer smaller (or at zero) so the model starts uncommitted."
        if kind.rate
        else "Standardise the targets, or set the output bias to their mean."
    )
    return ProbeOutcome(
        "sanity.initial_loss",
        "warn",
        f"the loss at initialisation is {s.initial_loss:.3g}, {ratio:.1f}× the {s.expected_initial_loss:.3g}"
        f" an uninformed model scores ({what}; threshold {limit:g}×)",
        numbers,
        remedy,
    )


def _worse_than_chance(ev: Evidence) -> ProbeOutcome | None:
    """A trained model no better than a blind guess on its own training data: it learnt nothing of the task
    (its loss or wiring trains something else), unless its function class cannot beat a guess either.

    Every model with an output bias can guess, so a training error clearly above chance is never a lack
    of capacity. One merely at chance is not either, unless the linear fit the network can represent —
    fitted to convergence on the task's own loss — sits at chance too: then the class cannot separate
    the data at all (a linear model on concentric circles), which is high bias.
    """
    train, chance = ev.errors.get("train"), ev.chance_error
    if train is None or chance is None or train.high < chance or _class_at_chance(ev, chance):
        return None
    above = train.low > chance
    learnt = "something other than the task" if above else "nothing of the task"
    return ProbeOutcome(
        "sanity.worse_than_chance",
        "warn",
        f"the training error {fmt.error(train.value, ev.task)} is {'above' if above else 'no better than'}"
        f" the {fmt.error(chance, ev.task)} of a blind guess (interval {fmt.interval(train, ev.task)}):"
        f" the model learnt {learnt}",
        {
            "train_error": train.value,
            "train_low": train.low,
            "train_high": train.high,
            "chance_error": chance,
        },
        "Check that the loss is the task's (cross-entropy on class indices for classification) and that"
        " the outputs the error reads are the ones the loss trains.",
        strong=True,
    )


def _class_at_chance(ev: Evidence, chance: float) -> bool:
    """A convex fit the network can represent does not clearly beat a blind guess: nor can the class."""
    fits = [m for m in ev.easier_models if m.kind == "convex" and m.decisive]
    return any(
        _not_below(m.baseline_error, m.n, chance, ev.task) for m in fits if math.isfinite(m.baseline_error)
    )


def _not_below(error: float, n: int, chance: float, task: str) -> bool:
    """An error rate whose Wilson interval reaches chance; a squared error within FAR_FROM_CHANCE of it."""
    if tasks.get(task).rate:
        return wilson(round(error * n), max(n, 1)).high >= chance
    return error >= (1 - FAR_FROM_CHANCE) * chance


def _run_steps(ev: Evidence) -> int:
    """Optimiser steps the run itself took (epochs × steps per epoch)."""
    return ev.training.steps_per_epoch * len(ev.training.epoch_losses)


def _one_batch(s: SanityChecks, run_steps: int) -> ProbeOutcome:
    """A fresh model that cannot memorise one small batch a linear model fits: a broken set-up — strong
    evidence only when the run itself took more steps than the test: within the same budget a slow
    but sound set-up fails the test too, and a run that short is unfinished, not broken."""
    numbers = {
        "batch_size": s.batch_size,
        "start_loss": s.batch_start_loss,
        "final_loss": s.batch_final_loss,
        "steps": s.batch_steps,
        "linear_loss": s.linear_batch_loss,
        "run_steps": run_steps,
    }
    target = FITTED * s.batch_start_loss
    if s.batch_final_loss <= target:
        return ProbeOutcome(
            "sanity.one_batch", "ok", f"memorised {s.batch_size} examples in {s.batch_steps} steps", numbers
        )
    linear_fits = s.linear_batch_loss is not None and s.linear_batch_loss <= target
    summary = (
        f"a fresh model could not memorise {s.batch_size} training examples in {s.batch_steps} steps"
        f" (loss {s.batch_start_loss:.3g} → {s.batch_final_loss:.3g}; target ≤ {target:.3g})"
    )
    if not linear_fits:
        return ProbeOutcome(
            "sanity.one_batch",
            "info",
            summary + ", nor could a linear model: the batch may simply be hard",
            numbers,
        )
    return ProbeOutcome(
        "sanity.one_batch",
        "warn",
        summary + f", while a linear model fits it (loss {s.linear_batch_loss:.3g})",
        numbers,
        "Something in the set-up is broken: check the learning rate first, then the initialisation,"
        " then the model code (e.g. a detached tensor or a misplaced activation).",
        strong=run_steps > s.batch_steps,
    )


def _zeroed(s: SanityChecks) -> ProbeOutcome | None:
    if s.zeroed_final_loss is None:
        return None
    learned = s.zeroed_final_loss < 0.9 * s.batch_start_loss
    numbers = {"real_inputs_loss": s.batch_final_loss, "zeroed_inputs_loss": s.zeroed_final_loss}
    if not learned or s.batch_final_loss < 0.9 * s.zeroed_final_loss:
        return ProbeOutcome(
            "sanity.zeroed_inputs", "ok", "real inputs beat zeroed inputs on the memorisation batch", numbers
        )
    return ProbeOutcome(
        "sanity.zeroed_inputs",
        "warn",
        f"with its inputs zeroed the model reached loss {s.zeroed_final_loss:.3g} on the batch, no worse"
        f" than {s.batch_final_loss:.3g} with the real inputs: it is not using them",
        numbers,
        "Check that the inputs reach the model: the data pipeline, a forward() that ignores x, or a"
        " normalisation that wipes the signal out.",
        strong=True,
    )


def _gradient_outcomes(g: GradientHealth) -> list[ProbeOutcome | None]:
    if g.dead_relu is not None and g.dead_relu >= ALL_DEAD:
        return [_flow(g), _all_dead(g), _saturation(g), _origin(g)]
    return [_flow(g), _update_size(g), _dead(g), _saturation(g), _origin(g)]


def _all_dead(g: GradientHealth) -> ProbeOutcome:
    """Every unit silent: tiny updates are the consequence, so a larger learning rate cannot help."""
    ratio = "n/a" if g.update_ratio is None else f"{g.update_ratio:.1e}"
    return ProbeOutcome(
        "activations.dead_relu",
        "warn",
        f"nothing learns: {100 * (g.dead_relu or 0):.0f}% of ReLU units never fire on a batch of training"
        f" examples, so no gradient reaches the layers below (update/weight ratio {ratio} per step is the"
        " consequence, not a learning rate too small)",
        {"dead_share": g.dead_relu, "update_ratio": g.update_ratio},
        "Re-initialise (He initialisation, zero or slightly positive biases) and lower the learning rate"
        " that killed the units, or use LeakyReLU/GELU; do not raise the learning rate.",
        strong=True,
    )


def _flow(g: GradientHealth) -> ProbeOutcome | None:
    ratio = g.first_last_ratio
    if ratio is None:
        return None
    numbers = {
        "first_last_ratio": ratio,
        "samples": g.samples,
        "first": g.layers[0].name,
        "last": g.layers[-1].name,
    }
    if ratio < VANISHING:
        return ProbeOutcome(
            "gradients.vanishing",
            "warn",
            f"gradients vanish on the way down: the first layer's gradient is {ratio:.1e} of the last"
            f" layer's (median of {g.samples} sampled steps; threshold {VANISHING:g})",
            numbers,
            "Use non-saturating activations (ReLU, GELU), He/Xavier initialisation, batch normalisation,"
            " or residual connections; Adam also helps by rescaling each layer's steps.",
            strong=True,
        )
    if ratio > EXPLODING:
        return ProbeOutcome(
            "gradients.exploding",
            "warn",
            f"gradients explode on the way down: the first layer's gradient is {ratio:.1e}× the last"
            f" layer's (threshold {EXPLODING:g})",
            numbers,
            f"{clip_advice(g)}, lower the learning rate, and check the initialisation scale.",
            strong=True,
        )
    return ProbeOutcome("gradients.flow", "ok", f"first/last layer gradient ratio {ratio:.2g}", numbers)


def _update_size(g: GradientHealth) -> ProbeOutcome | None:
    ratio = g.update_ratio
    if ratio is None:
        return None
    numbers = {"update_ratio": ratio, "low": UPDATE_LOW, "high": UPDATE_HIGH}
    if ratio < FROZEN:
        return ProbeOutcome(
            "gradients.update_ratio",
            "warn",
            f"nothing learns: the weights do not move ({ratio:.1e} of their size per step) — no gradient"
            " reaches them",
            numbers,
            "Check that the parameters reach the optimiser and require gradients, that no tensor is"
            " detached on the way to the loss, and that the loss depends on the model's output.",
            strong=True,
        )
    if ratio < UPDATE_LOW:
        return ProbeOutcome(
            "gradients.update_ratio",
            "warn",
            f"each step moves the weights by {ratio:.1e} of their size (median; below {UPDATE_LOW:g}):"
            " the learning rate is far too small",
            numbers,
            "Raise the learning rate — the range test suggests where.",
            strong=True,
        )
    if ratio > UPDATE_HIGH:
        return ProbeOutcome(
            "gradients.update_ratio",
            "warn",
            f"each step moves the weights by {ratio:.2g} of their size (median; above {UPDATE_HIGH:g}):"
            " the learning rate is too large",
            numbers,
            "Lower the learning rate — the range test suggests where — or add warm-up.",
        )
    return ProbeOutcome("gradients.update_ratio", "ok", f"update/weight ratio {ratio:.1e} per step", numbers)


def _dead(g: GradientHealth) -> ProbeOutcome | None:
    if g.dead_relu is None:
        return None
    numbers = {"dead_share": g.dead_relu}
    if g.dead_relu < DEAD:
        return ProbeOutcome(
            "activations.dead_relu", "ok", f"{100 * g.dead_relu:.0f}% of ReLU units silent", numbers
        )
    return ProbeOutcome(
        "activations.dead_relu",
        "warn",
        f"{100 * g.dead_relu:.0f}% of ReLU units never fire on a batch of training examples"
        f" (threshold {100 * DEAD:.0f}%): they are dead and pass no gradient",
        numbers,
        "Lower the learning rate, use He initialisation with zero biases, or switch to LeakyReLU/GELU.",
        strong=True,
    )


def _saturation(g: GradientHealth) -> ProbeOutcome | None:
    if g.saturation is None:
        return None
    numbers = {"saturated_share": g.saturation}
    if g.saturation <= SATURATED:
        return ProbeOutcome(
            "activations.saturation",
            "ok",
            f"{100 * g.saturation:.0f}% of sigmoid/tanh inputs saturated",
            numbers,
        )
    return ProbeOutcome(
        "activations.saturation",
        "warn",
        f"{100 * g.saturation:.0f}% of sigmoid/tanh inputs sit in the flat tails (threshold"
        f" {100 * SATURATED:.0f}%), where their gradient is almost zero",
        numbers,
        "Normalise inputs, use Xavier initialisation or batch normalisation before the activation,"
        " or use ReLU/GELU.",
    )


def _origin(g: GradientHealth) -> ProbeOutcome | None:
    if g.nonfinite_origin is None:
        return None
    return ProbeOutcome(
        "gradients.nonfinite_origin",
        "info",
        f"the first non-finite value was {g.nonfinite_origin}",
        {"origin": g.nonfinite_origin},
    )


def _late(values: tuple[float, ...]) -> tuple[float, ...]:
    return values[len(values) - max(2, len(values) // 4) :]


def _far(ev: Evidence, loss: float) -> float | None:
    """How many times an easier model's training loss `loss` is; None without an easier model."""
    best = best_easier_loss(ev)
    return None if best is None or not math.isfinite(loss) else loss / max(best, 1e-12)


def _plateau(ev: Evidence) -> ProbeOutcome | None:
    steps = [x for x in ev.training.step_losses if math.isfinite(x)]
    window = steps[-max(8, len(steps) // 4) :]
    if len(steps) < 16:
        return None
    half = len(window) // 2
    before, after = sum(window[:half]) / half, sum(window[half:]) / (len(window) - half)
    gain = (before - after) / max(abs(before), 1e-12)
    distance = _far(ev, ev.training.final_loss)
    numbers = {"relative_gain": gain, "window_steps": len(window), "times_easier_loss": distance}
    if gain >= PLATEAU_GAIN or distance is None or distance < FAR:
        return None
    return ProbeOutcome(
        "curve.plateau",
        "warn",
        f"the training loss stopped improving ({_change(gain)} over the last {len(window)} steps; threshold"
        f" a {100 * PLATEAU_GAIN:g}% fall) at {distance:.1f}× the loss an easier model reaches",
        numbers,
        "The optimiser is stuck: try a larger learning rate or momentum, a different initialisation,"
        " or normalisation layers.",
        strong=True,
    )


def _change(gain: float) -> str:
    return f"fell {100 * gain:.2f}%" if gain >= 0 else f"rose {100 * -gain:.2f}%"


def _oscillation(ev: Evidence) -> ProbeOutcome | None:
    losses = ev.training.epoch_losses
    late = losses[len(losses) // 2 :]
    if len(late) - 1 < OSCILLATION_WINDOW or not all(math.isfinite(x) for x in late):
        return None
    rises = sum(b > (1 + RISE) * a for a, b in itertools.pairwise(late))
    share = rises / (len(late) - 1)
    distance = _far(ev, ev.training.final_loss)
    if share < OSCILLATING or distance is None or distance < FAR:
        return None
    return ProbeOutcome(
        "curve.oscillation",
        "warn",
        f"the training loss rose by more than {100 * RISE:.0f}% in {rises} of the last {len(late) - 1}"
        f" epochs instead of settling",
        {"rising_share": share, "times_easier_loss": distance},
        "Lower the learning rate or add a decay schedule; a larger batch also smooths the steps.",
    )


def _still_falling(ev: Evidence) -> ProbeOutcome | None:
    late = [x for x in _late(ev.training.epoch_losses) if math.isfinite(x)]
    if len(ev.training.epoch_losses) < 4 or len(late) < 2 or late[0] <= 0:
        return None
    drop = 1 - late[-1] / late[0]
    if drop < STILL_FALLING:
        return None
    return ProbeOutcome(
        "curve.still_falling",
        "info",
        f"the training loss was still falling at the end ({100 * drop:.0f}% over the last"
        f" {len(late)} epochs)",
        {"relative_drop": drop},
        "Train longer, or with a larger learning rate and a decay schedule.",
    )


def _critical(cp: CriticalPoint) -> ProbeOutcome:
    verdict = critical_verdict(cp)
    numbers = {
        "verdict": verdict,
        "grad_norm": cp.grad_norm,
        "lambda_max": cp.lambda_max,
        "lambda_min": cp.lambda_min,
        "negative_share": cp.negative_share,
        "minimum_ratio": 1 - cp.negative_share,
        "examples": cp.examples,
        "iterations": cp.iterations,
    }
    summary = (
        f"{verdict}: |gradient| {cp.grad_norm:.2g}, Hessian λmax {cp.lambda_max:.3g},"
        f" λmin {cp.lambda_min:.3g}, {100 * cp.negative_share:.0f}% of the spectrum negative"
        f" ({cp.examples} examples)"
    )
    if verdict not in ("saddle point", "flat region"):
        return ProbeOutcome("hessian.critical_point", "ok", summary, numbers)
    remedy = (
        "Escape the saddle: momentum or Adam, a larger learning rate, or an initialisation away from zero"
        " (He/Xavier scale) — a saddle's negative-curvature direction leads downhill."
        if verdict == "saddle point"
        else "The loss surface is flat here: initialise at a sensible scale (He/Xavier) and use momentum"
        " or Adam."
    )
    return ProbeOutcome("hessian.critical_point", "warn", summary, numbers, remedy, strong=True)
