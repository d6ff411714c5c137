"""Fault (needs issue 13's `grad_clip`): gradient norm clipped at 1e-3, far below the gradients'
natural size (~1), so every step is clipped and the effective learning rate is ~1000× smaller than
the one set. Cure: no clipping (or a max norm near the typical gradient norm)."""

import clinic

import dldoctor as dd

SOURCE = "DEFault: optimisation fault; issue 13 reading 'clipping that binds on every step'"
EXPECTED = "optimization_failure"
WHY = "clipping throttles every update: the optimiser cannot move, the same model fits unclipped"
NEEDS = "issue 13: grad_clip"

SETUP = dict(
    model=lambda: clinic.mlp([16, 64, 64, 4]),
    data=lambda seed: clinic.splits(clinic.four_blobs, seed, 4000, 1000, 1000),
    grad_clip=1e-3,
    optimizer="sgd",
    lr=0.05,
    beta=0.0,
    batch_size=64,
    epochs=10,
)
CURE = dict(grad_clip=None)
recipe = dd.Recipe(name="n13-clipping-binds", **SETUP)
