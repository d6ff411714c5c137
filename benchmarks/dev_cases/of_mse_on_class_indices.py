"""A classification recipe whose loss is the squared error between every output and the class index
(a mis-chosen loss): the outputs learn to predict the index as a number, and their argmax is no
classifier at all. The network could fit the labels under cross-entropy."""

import torch
from _kit import gaussian_splits, mlp

import dldoctor as dd

EXPECTED = "optimization_failure"
SOURCE = "dev case (verdict helper): a loss that does not match the task"
WHY = "cross-entropy on the same network fits; the loss, not the model, is at fault"


def mse_on_indices(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (outputs - y.float()[:, None]).pow(2).mean(dim=1)


recipe = dd.Recipe(
    name="dev-mse-on-class-indices",
    model=lambda: mlp([12, 64, 6]),
    data=lambda seed: gaussian_splits(seed, 6, 12, 5.0, (3000, 500, 500)),
    loss=mse_on_indices,
    lr=3e-3,
    batch_size=64,
    epochs=10,
)
