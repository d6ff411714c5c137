"""healthy.py's three Gaussian classes in 8-D (Bayes error 2.3 % by construction) and a small MLP trained with
RMSprop (β = its momentum), a warm-up-then-cosine schedule, gradient clipping that only trims
spikes, and early stopping on dev loss. Nothing to fix: healthy."""

from healthy import make_data
from toolkit import mlp

import dldoctor as dd

recipe = dd.Recipe(
    name="gaussians-rmsprop",
    model=lambda: mlp([8, 16, 3]),
    data=make_data,
    optimizer="rmsprop",
    optimizer_kwargs={"alpha": 0.9, "eps": 1e-7},
    lr=1e-3,
    beta=0.5,
    scheduler="warmup_cosine",
    grad_clip=5.0,
    early_stopping=3,
    batch_size=256,
    epochs=12,
    description="3 Gaussian classes in 8-D, 10,000 train; MLP 8-16-3; RMSprop, warm-up + cosine, clip 5,"
    " early stopping. Expected: healthy.",
)
