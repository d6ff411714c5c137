"""A model's inputs: one tensor, or a tuple or dict of tensors (multi-input models).

A structured batch is indexed, moved and concatenated leaf by leaf, and handed to the model
unpacked — a tuple as positional arguments, a dict as keyword arguments — so a model written as
`forward(self, tokens, mask)` takes `{"tokens": ..., "mask": ...}` as it would in the user's loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union, cast

import torch

from dldoctor.errors import DataError

Inputs = Union[torch.Tensor, tuple["Inputs", ...], dict[str, "Inputs"]]  # noqa: UP007 (a recursive alias)


def structured(x: Inputs) -> bool:
    """Whether `x` is a tuple or dict of tensors rather than one tensor."""
    return not isinstance(x, torch.Tensor)


def leaves(x: Inputs) -> list[torch.Tensor]:
    """The tensors of `x`, in order (a dict's in key order)."""
    if isinstance(x, torch.Tensor):
        return [x]
    parts = x.values() if isinstance(x, dict) else x
    return [leaf for part in parts for leaf in leaves(part)]


def single(x: Inputs) -> torch.Tensor:
    """`x` as the one tensor it must be where a single input is assumed (packed training checks
    first, in `population.data_obstacle`)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError("expected one input tensor, got a tuple or dict of them")
    return x


def floating(x: Inputs) -> bool:
    """Whether every tensor of `x` holds real numbers (no token ids): only then are inputs points
    with distances, and a model on their raw values means something."""
    return all(t.is_floating_point() for t in leaves(x))


def real_valued(x: Inputs) -> Inputs | None:
    """The real-valued tensors of `x` (token ids and other integer inputs dropped), or None when
    there are none: what neighbour and linear views of the raw inputs can measure distances on."""
    kept = tuple(t for t in leaves(x) if t.is_floating_point())
    if not kept:
        return None
    return kept[0] if isinstance(x, torch.Tensor) else kept


def apply(x: Inputs, fn: Callable[[torch.Tensor], torch.Tensor]) -> Inputs:
    """`x` with `fn` applied to every tensor, its structure kept."""
    if isinstance(x, torch.Tensor):
        return fn(x)
    if isinstance(x, dict):
        return {k: apply(v, fn) for k, v in x.items()}
    return tuple(apply(v, fn) for v in x)


def rows(x: Inputs) -> int:
    """Examples in `x` (the first dimension, shared by every tensor)."""
    return leaves(x)[0].shape[0]


def index(x: Inputs, where: torch.Tensor | slice) -> Inputs:
    """The examples of `x` at `where` (an index tensor or a slice)."""
    return apply(x, lambda t: t[where.to(t.device) if isinstance(where, torch.Tensor) else where])


def to(x: Inputs, device: torch.device) -> Inputs:
    return apply(x, lambda t: t.to(device, non_blocking=True))


def cat(parts: Sequence[Inputs]) -> Inputs:
    """Batches of the same structure joined along the examples."""
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(list(cast(Sequence[torch.Tensor], parts)))
    if isinstance(first, dict):
        dicts = cast(Sequence[dict[str, Inputs]], parts)
        return {k: cat([p[k] for p in dicts]) for k in first}
    tuples = cast(Sequence[tuple[Inputs, ...]], parts)
    return tuple(cat([p[i] for p in tuples]) for i in range(len(first)))


def forward(model: Callable[..., Any], x: Inputs) -> Any:
    """The model's output on `x`: a tuple unpacked as positional arguments, a dict as keywords."""
    if isinstance(x, dict):
        return model(**x)
    if isinstance(x, tuple):
        return model(*x)
    return model(x)


def flat(x: Inputs) -> torch.Tensor:
    """One float32 row per example: every tensor flattened and joined, for models and estimators
    that need vectors."""
    return torch.cat([t.reshape(t.shape[0], -1).float() for t in leaves(x)], dim=1)


def shapes(x: Inputs) -> tuple[Any, ...]:
    """The per-example shape of every tensor, with the structure's keys: splits must agree on it."""
    if isinstance(x, torch.Tensor):
        return tuple(x.shape[1:])
    if isinstance(x, dict):
        return tuple((k, shapes(v)) for k, v in x.items())
    return tuple(shapes(v) for v in x)


def validate(value: Any, split: str, as_tensor: Callable[[Any, str, str], torch.Tensor]) -> Inputs:
    """`X` of a split as tensors: one array, or a tuple/list/dict of them with one row per example
    each; `as_tensor(value, split, role)` converts and checks one array."""
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) for k in value):
            raise DataError(f"split '{split}': a dict X needs string keys naming the model's inputs")
        x: Inputs = {k: as_tensor(v, split, f"X[{k!r}]") for k, v in value.items()}
    elif isinstance(value, (tuple, list)):
        if not value:
            raise DataError(f"split '{split}': X is an empty {type(value).__name__}; give the model's inputs")
        x = tuple(as_tensor(v, split, f"X[{i}]") for i, v in enumerate(value))
    else:
        return as_tensor(value, split, "X")
    counts = {t.shape[0] for t in leaves(x)}
    if len(counts) > 1:
        raise DataError(
            f"split '{split}': the inputs in X have different numbers of rows ({sorted(counts)});"
            " give every input one row per example"
        )
    return x
