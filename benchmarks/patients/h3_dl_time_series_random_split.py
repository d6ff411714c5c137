"""Fault: a time series split at random (regression). Hourly readings over 8,000 hours: y is a
smooth function of 3 sensor readings plus a slowly drifting disturbance (an AR(1) process with a
~200-hour memory, variance 0.5) and white noise (variance 0.1); the timestamp is one of the inputs.
With the first 6,000 hours shuffled into train and dev, every dev hour sits between training hours
whose disturbance is nearly the same, so a network reading the timestamp interpolates it and dev MSE
falls far below what forecasting allows. Train-dev is the 1,000 hours after the pool, as deployment
would see (there the timestamp only extrapolates, badly). Cure: split by time — dev = the 1,000
hours after train-dev — and drop the timestamp, which only let the model memorise the past."""

import clinic
import numpy as np

import dldoctor as dd

SOURCE = (
    "Kapoor & Narayanan leakage taxonomy (L3: temporal leakage — training on the future); DEFault: "
    "data-split fault"
)
EXPECTED = "data_leakage"
WHY = (
    "dev hours interleave training hours: dev MSE ≈ train, far below the future train-dev and below the "
    "~0.6 (drift + noise variance) that any forecast of unseen hours is left with"
)

HOURS = 8000
MEMORY = 0.995


def series(rng):
    """(timestamp in [0, 1], 3 readings) inputs and targets, in time order."""
    shocks = rng.standard_normal(HOURS) * np.sqrt(0.5 * (1 - MEMORY**2))
    drift = np.zeros(HOURS)
    for t in range(1, HOURS):
        drift[t] = MEMORY * drift[t - 1] + shocks[t]
    readings = rng.standard_normal((HOURS, 3))
    y = np.sin(readings[:, 0]) + 0.5 * readings[:, 1] * readings[:, 2] + drift
    y = y + np.sqrt(0.1) * rng.standard_normal(HOURS)
    x = np.column_stack([np.arange(HOURS) / HOURS, readings]).astype(np.float32)
    return x, y.astype(np.float32)


def make_data(seed, leak=True):
    rng = np.random.default_rng(seed)
    x, y = series(rng)
    if not leak:
        x[:, 0] = 0.0
    pool = rng.permutation(6000) if leak else np.arange(5000)
    fit, held = (pool[:5000], pool[5000:]) if leak else (pool, np.arange(7000, 8000))
    return dd.Splits(
        train=(x[fit], y[fit]),
        train_dev=(x[6000:7000], y[6000:7000]),
        dev=(x[held], y[held]),
    )


SETUP = dict(
    model=lambda: clinic.regressor([4, 128, 128, 1]),
    data=make_data,
    task="regression",
    lr=3e-3,
    batch_size=64,
    epochs=40,
)
CURE = dict(data=lambda seed: make_data(seed, leak=False))
recipe = dd.Recipe(name="h3-dl-time-series-random-split", **SETUP)
