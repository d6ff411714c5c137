"""Remedies for each problem, most dependable first, made specific with the run's own numbers."""

from __future__ import annotations

import math

from dldoctor import fmt
from dldoctor.diagnosis.evidence import Duplicates, Evidence, Gap
from dldoctor.diagnosis.probes import clip_advice

STILL_FALLING = 0.02  # relative drop of the training loss over the last quarter of epochs


def high_bias(ev: Evidence) -> list[str]:
    s = ev.setup
    tips = [
        *_curve(ev, "bias"),
        "Use a bigger model — wider layers or more of them — so it can fit the training set;"
        " this is the dependable cure for bias.",
        _train_longer(ev),
        "Switch to Adam with a tuned learning rate (the recipe uses SGD)."
        if s.optimizer == "sgd"
        else f"Tune the learning rate (now {fmt.setting(s.lr)}) on a log scale: `dldoctor tune`.",
    ]
    if s.weight_decay > 0:
        tips.append(f"Weaken regularisation: weight decay {s.weight_decay:g} trades bias for variance.")
    tips += [
        "Try an architecture that suits the data (convolutions for images, attention or recurrence"
        " for sequences) or give the model more informative input features.",
        "More training data will not reduce bias.",
    ]
    return tips


def high_variance(ev: Evidence) -> list[str]:
    s = ev.setup
    tips = [
        *_curve(ev, "variance"),
        f"Get more training data (the model trained on {s.n_train} examples) — the dependable"
        " cure for variance.",
        "Augment the training data with transformations that keep labels valid (shifts, crops,"
        " noise, mixing).",
        f"Increase weight decay (now {fmt.setting(s.weight_decay)})."
        if s.weight_decay > 0 or math.isnan(s.weight_decay)
        else "Add weight decay / L2 regularisation (the recipe has none): try 1e-4 to 1e-2 on a log scale.",
        "Add dropout between layers.",
        _stop_early(ev),
        "Use fewer parameters or share them (narrower layers, convolutions), or fewer input features.",
    ]
    return tips


def data_mismatch(ev: Evidence) -> list[str]:
    return [
        "Do error analysis: read dev examples the model gets wrong next to training examples and"
        " name how the two differ.",
        "Make training data look like dev: collect more dev-like examples, or move part of the"
        " dev-distribution data into training (keep dev and test from one distribution).",
        "Synthesise dev-like training data (add the noise, blur, accent or lighting dev has) —"
        " beware that synthetic data can cover only a thin slice of the real variation.",
        "A bigger model or more regularisation will not close this gap.",
    ]


def dev_overfit(ev: Evidence) -> list[str]:
    return [
        "Choices tuned on dev have overfit it: get a bigger dev set.",
        "Check that dev and test come from one distribution; if not, this is a dev/test mismatch.",
        "Never select models or hyperparameters on the test set; keep it for the final estimate.",
    ]


def divergence(ev: Evidence) -> list[str]:
    s = ev.setup
    lower = (
        f"Lower the learning rate from {fmt.setting(s.lr)} to about {suggested:.2g}, the range"
        " test's suggestion (`dldoctor lr-find`), then search a log scale around it."
        if (suggested := _range_test_lr(ev)) is not None
        else f"Lower the learning rate: the recipe uses lr={s.lr:g}; try about {s.lr / 10:.2g},"
        " then search a log scale around it."
        if math.isfinite(s.lr)
        else "Lower the learning rate about tenfold, then search a log scale around it."
    )
    return [
        lower,
        f"{clip_advice(ev.gradients)} and warm the learning rate up over the first few hundred steps.",
        "Normalise the inputs (zero mean, unit variance) and add batch or layer normalisation.",
        "Check the data for extreme values and the loss for a log or division of zero.",
    ]


def failed_optimisation(ev: Evidence) -> list[str]:
    s = ev.setup
    tune = (
        f"Set the learning rate to about {suggested:.2g} (now {fmt.setting(s.lr)}), the range"
        " test's suggestion, then tune around it: `dldoctor tune`."
        if (suggested := _range_test_lr(ev)) is not None
        else f"Tune the learning rate first (now {fmt.setting(s.lr)}; an order of magnitude either way is"
        " common): `dldoctor tune`."
    )
    return [
        "Do not add capacity: the model can already fit better than it did.",
        tune,
        "Use Adam, or SGD with momentum about 0.9."
        if s.optimizer == "sgd"
        else "Check the Adam settings: beta1 about 0.9, and a learning rate near 1e-3 to start.",
        "Initialise with He (ReLU) or Xavier (tanh, sigmoid) scaling; add batch normalisation.",
        "Prefer non-saturating activations (ReLU, GELU) to sigmoid/tanh in deep stacks, and"
        " residual connections.",
        "Check the model can overfit one small batch; if it cannot, suspect a bug.",
    ]


def _range_test_lr(ev: Evidence) -> float | None:
    return None if ev.range_test is None else ev.range_test.suggested_lr


def settle(gap: Gap, extra: dict[str, int], task: str) -> list[str]:
    more = " and ".join(f"about {n:,} more {split.replace('_', '-')} examples" for split, n in extra.items())
    size = fmt.gap(gap.estimate.value, task)
    tips = [f"Collect {more} to tell whether the {size} gap is real."] if more else []
    tips.append("Meanwhile treat the gap as a hypothesis; re-run with other --seed values to see it move.")
    return tips


def easier_dev(ev: Evidence) -> list[str]:
    """Dev easier than held-out training data: something differs in how the two were made."""
    return [
        "Put dev through exactly the pipeline training data goes through (the same preprocessing,"
        " normalisation and crop), and apply augmentation or added noise to training batches only if you"
        " mean dev to be cleaner.",
        "Check that dev was not filtered, deduplicated or labelled differently (e.g. only easy or clean"
        " cases kept); a dev set easier than the real inputs makes every dev error too optimistic.",
        "Draw dev (and test) from the data the model will meet in use, and re-measure.",
    ]


def leakage(d: Duplicates) -> list[str]:
    return [
        f"Remove the duplicates from {d.query.replace('_', '-')} (or from train) and re-measure: those"
        " examples measure memory, not generalisation.",
        "Split by source (user, patient, document, recording) rather than by row, so near-copies of one"
        " item cannot land on both sides.",
        "Deduplicate the data before splitting it.",
    ]


def target_leakage() -> list[str]:
    return [
        "Look for an input that carries the answer: a feature recorded after the outcome, an ID or"
        " timestamp that encodes the label, a field derived from the target; drop it and re-measure.",
        "If no input does, check the Bayes error you gave: held-out errors say it is lower.",
    ]


def grouped_leakage() -> list[str]:
    return [
        "Split by source (user, patient, document, recording) rather than by row, so records of one"
        " source cannot land on both sides; then re-measure dev.",
        "Compare dev with a set of sources that appear nowhere in train: its error is the one to trust.",
    ]


def still_falling(ev: Evidence) -> str | None:
    """'Train longer', when the training loss was still falling materially at the end."""
    tip = _train_longer(ev)
    return tip if tip.startswith("Train longer") else None


def _curve(ev: Evidence, problem: str) -> list[str]:
    """What the learning curve says about more data, when one was run and fitted."""
    lc = ev.learning_curve
    if lc is None or lc.helps is None:
        return []
    at = ", ".join(f"{fmt.error(v, ev.task)} at {m}×" for m, v in lc.predicted.items())
    if lc.helps:
        return [
            f"The learning curve is still falling: it predicts dev error {at} today's"
            f" {lc.sizes[-1]:,} training examples — more data will help"
            + (" even though the main problem is bias." if problem == "bias" else ".")
        ]
    return [
        f"The learning curve has flattened (predicted dev error {at} the data): more data alone"
        " will not help much"
        + ("; regularise or change the model instead." if problem == "variance" else ".")
    ]


def _train_longer(ev: Evidence) -> str:
    losses = [x for x in ev.training.epoch_losses if math.isfinite(x)]
    window = max(1, len(losses) // 4)
    if len(losses) > window and losses[-window - 1] > 0:
        drop = 1 - losses[-1] / losses[-window - 1]
        if drop >= STILL_FALLING:
            return (
                f"Train longer: the training loss was still falling ({100 * drop:.0f}% over the"
                f" last {window} epochs)."
            )
    return "Training longer is unlikely to help on its own: the training loss had levelled off."


def _stop_early(ev: Evidence) -> str:
    dev = list(ev.training.dev_errors)
    if len(dev) > 1 and all(math.isfinite(x) for x in dev):
        best = min(range(len(dev)), key=dev.__getitem__)
        if best < len(dev) - 1 and dev[-1] - dev[best] >= 0.1 * max(dev[-1], 1e-12):
            return (
                f"Stop early: dev error was lowest at epoch {best + 1}"
                f" ({fmt.error(dev[best], ev.task)}) and ended at {fmt.error(dev[-1], ev.task)}."
            )
    return "Stop training when dev error stops improving (early stopping)."
