"""Token sequences of varying length, padded to 24 with random tokens, given to the model as a dict
batch {"tokens": (n, 24) ints, "mask": (n, 24) 0/1}: the label says whether the bigram (1, 2) occurs
in the real (unpadded) part, flipped for 5 % of examples, so the Bayes error is 5 % by construction.
The padding holds random tokens, so a model must read the mask. An embedding, a 1-D convolution
over pairs of positions and a masked max-pool learn it: nothing to fix, healthy."""

import numpy as np
import torch
from torch import nn

import dldoctor as dd

VOCAB, LENGTH, FLIP = 6, 24, 0.05


class BigramNet(nn.Module):
    """Embedding → width-2 convolution → ReLU → max over the real positions → a linear head."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.conv = nn.Conv1d(16, width, kernel_size=2)
        self.head = nn.Linear(width, 2)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(self.embed(tokens).transpose(1, 2)))  # (n, width, LENGTH - 1)
        pair = (mask[:, 1:] * mask[:, :-1]).unsqueeze(1)  # both positions of the pair are real
        return self.head((h * pair - (1 - pair)).amax(dim=2))


def sample(n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    tokens = rng.integers(0, VOCAB, size=(n, LENGTH))
    lengths = rng.integers(4, LENGTH + 1, size=n)
    mask = (np.arange(LENGTH) < lengths[:, None]).astype(np.float32)
    pairs = (tokens[:, :-1] == 1) & (tokens[:, 1:] == 2) & (mask[:, 1:] > 0)
    y = pairs.any(axis=1) ^ (rng.random(n) < FLIP)
    return {"tokens": tokens, "mask": mask}, y.astype(np.int64)


def make_data(seed: int) -> dd.Splits:
    rng = np.random.default_rng(seed)
    return dd.Splits(train=sample(8000, rng), train_dev=sample(2000, rng), dev=sample(2000, rng))


recipe = dd.Recipe(
    name="bigram-sequences",
    model=BigramNet,
    data=make_data,
    task="classification",
    bayes_error=FLIP,
    lr=3e-3,
    batch_size=128,
    epochs=12,
    description="Is the bigram (1, 2) in the unpadded part? Dict batches {tokens, mask}, 8,000 train;"
    " embedding + 1-D conv + masked max-pool. Bayes error 5%. Expected: healthy.",
)
