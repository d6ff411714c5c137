"""Turn a recipe's Splits into validated splits that live on the training device.

In-memory arrays become tensors on the device once and are batched by index, so training pays no
per-batch collation or host-to-device copy. A torch Dataset streams through a DataLoader instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from dldoctor import inputs
from dldoctor import task as tasks
from dldoctor.errors import DataError, user_code
from dldoctor.inputs import Inputs
from dldoctor.recipe import Splits

SPLIT_NAMES = ("train", "train_dev", "dev", "test")
Batch = tuple[Inputs, torch.Tensor]


class Split(Protocol):
    """A named, validated data set the engine can batch, sample and subset."""

    name: str

    def __len__(self) -> int: ...

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True
    ) -> Iterator[Batch]:
        """Every example in order, or a training epoch (see training_steps) when given a `generator`:
        shuffled by it, or in the stored order when `shuffle` is False."""
        ...

    def take(self, indices: torch.Tensor, name: str) -> Split: ...

    def sample(self, n: int, seed: int) -> Batch:
        """Up to `n` examples drawn without replacement, as tensors on the device."""
        ...


@dataclass
class TensorSplit:
    """A split held in memory as tensors on the training device (`x` may be a tuple or dict of them)."""

    name: str
    x: Inputs
    y: torch.Tensor

    def __len__(self) -> int:
        return self.y.shape[0]

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True
    ) -> Iterator[Batch]:
        n = len(self)
        if generator is None or not shuffle:
            end = n if generator is None else min(n, training_steps(n, batch_size) * batch_size)
            for start in range(0, end, batch_size):
                stop = min(start + batch_size, end)
                yield self._rows(slice(start, stop))
            return
        order = torch.randperm(n, generator=generator).to(self.y.device, non_blocking=True)
        for start in range(0, training_steps(n, batch_size) * batch_size, batch_size):
            yield self._rows(order[start : start + batch_size])

    def take(self, indices: torch.Tensor, name: str) -> TensorSplit:
        return TensorSplit(name, *self._rows(indices.to(self.y.device)))

    def sample(self, n: int, seed: int) -> Batch:
        if n >= len(self):
            return self.x, self.y
        return self._rows(choose_rows(len(self), n, seed).to(self.y.device))

    def _rows(self, where: torch.Tensor | slice) -> Batch:
        if isinstance(self.x, torch.Tensor):  # the common case, without the structure walk
            return self.x[where], self.y[where]
        return inputs.index(self.x, where), self.y[where]


@dataclass
class DatasetSplit:
    """A split read from a torch Dataset through a DataLoader, batch by batch."""

    name: str
    dataset: Dataset
    device: torch.device
    target_dtype: torch.dtype

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = True
    ) -> Iterator[Batch]:
        training = generator is not None
        loader = DataLoader(
            self.dataset,
            batch_size=batch_size,
            shuffle=training and shuffle,
            generator=generator if shuffle else None,
            drop_last=training and training_steps(len(self), batch_size) * batch_size < len(self),
            pin_memory=self.device.type == "cuda",
        )
        with user_code(f"reading the '{self.name}' Dataset"):
            for x, y in loader:
                yield (
                    inputs.to(x, self.device),
                    y.to(self.device, dtype=self.target_dtype, non_blocking=True),
                )

    def take(self, indices: torch.Tensor, name: str) -> DatasetSplit:
        return DatasetSplit(name, Subset(self.dataset, indices.tolist()), self.device, self.target_dtype)

    def sample(self, n: int, seed: int) -> Batch:
        chosen = self if n >= len(self) else self.take(choose_rows(len(self), n, seed), self.name)
        xs, ys = zip(*chosen.batches(512), strict=True)
        return inputs.cat(xs), torch.cat(ys)


@dataclass
class Data:
    """The validated splits of one run; `train_dev_carved` says whether we made train-dev."""

    train: Split
    train_dev: Split
    dev: Split
    test: Split | None
    train_dev_carved: bool
    soft_labels: torch.Tensor | None = None  # (n, K) class probabilities, see Splits
    metadata: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # split -> column -> values
    train_dev_index: np.ndarray | None = None  # where a carved train-dev sits in the user's train

    def named(self) -> dict[str, Split]:
        """The present splits, in report order."""
        found = {name: getattr(self, name) for name in SPLIT_NAMES}
        return {name: split for name, split in found.items() if split is not None}


def prepare(splits: Any, task: str, device: torch.device, seed: int) -> Data:
    """Validate what the data factory returned and move in-memory splits to `device`."""
    if not isinstance(splits, Splits):
        raise DataError(
            f"the data factory returned a {type(splits).__name__}, not dldoctor.Splits:"
            " return dldoctor.Splits(train=(X, y), dev=(X, y))"
        )
    kind = tasks.get(task)
    named = {
        name: _to_split(name, source, kind, device)
        for name in SPLIT_NAMES
        if (source := getattr(splits, name)) is not None or name in ("train", "dev")
    }
    _check_same_input_shape(named)
    train = named["train"]
    carved = "train_dev" not in named
    metadata = example_metadata(splits.metadata, {name: len(split) for name, split in named.items()})
    index = None
    if carved:
        kept, index = carve_indices(len(train), seed)
        train, train_dev = train.take(kept, "train"), train.take(index, "train_dev")
        metadata = _carve_metadata(metadata, kept.numpy(), index.numpy())
    else:
        train_dev = named["train_dev"]
    soft = None if splits.soft_labels is None else soft_labels(splits.soft_labels, task)
    if soft is not None:
        _check_soft_label_count(len(soft), len(named["train"]), None if carved else len(train_dev))
    return Data(
        train,
        train_dev,
        named["dev"],
        named.get("test"),
        carved,
        soft,
        metadata,
        None if index is None else index.numpy(),
    )


def example_metadata(value: Any, sizes: dict[str, int]) -> dict[str, dict[str, np.ndarray]]:
    """Validated per-example columns: {split: {column: 1-d array with one value per example}}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(
            f"metadata must be a dict keyed by split name, got {type(value).__name__}:"
            ' write metadata={"dev": {"column": values}}'
        )
    return {split: _columns(split, table, sizes) for split, table in value.items()}


def _columns(split: Any, table: Any, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    if split not in sizes:
        raise DataError(
            f"metadata names split {split!r}, which this data lacks; use one of {', '.join(sizes)}"
        )
    if hasattr(table, "columns") and hasattr(table, "to_numpy"):  # a pandas DataFrame
        table = {str(c): table[c].to_numpy() for c in table.columns}
    if not isinstance(table, dict):
        raise DataError(f"metadata['{split}'] must be a dict of column -> values or a DataFrame")
    columns = {}
    for name, values in table.items():
        array = np.asarray(values)
        if array.ndim != 1 or len(array) != sizes[split]:
            raise DataError(
                f"metadata['{split}']['{name}'] has shape {array.shape}; it needs one value per"
                f" example of '{split}' ({sizes[split]})"
            )
        columns[str(name)] = array
    return columns


def _carve_metadata(
    metadata: dict[str, dict[str, np.ndarray]], kept: np.ndarray, held: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """Train's columns follow train's examples into the carved train and train-dev."""
    if "train" not in metadata:
        return metadata
    train = metadata["train"]
    return {
        **metadata,
        "train": {c: v[kept] for c, v in train.items()},
        "train_dev": {c: v[held] for c, v in train.items()},
    }


def soft_labels(value: Any, task: str) -> torch.Tensor:
    """Validated class probabilities, (n, K) float64 on the CPU."""
    if task != "classification":
        raise DataError("soft_labels are class probabilities: give them only for task='classification'")
    c = _as_tensor(value, "soft_labels", "probabilities").double().cpu()
    if c.dim() == 1:
        c = torch.stack([1 - c, c], dim=1)
    if c.dim() != 2 or c.shape[1] < 2:
        raise DataError(f"soft_labels must have shape (n,) or (n, K) with K ≥ 2, got {tuple(c.shape)}")
    if not bool(torch.isfinite(c).all()) or float(c.min()) < 0 or float(c.max()) > 1:
        raise DataError("soft_labels must be probabilities in [0, 1]")
    if not bool(torch.allclose(c.sum(dim=1), torch.ones(len(c), dtype=c.dtype), atol=1e-4)):
        raise DataError("each row of soft_labels must sum to 1 (class probabilities)")
    return c


def _check_soft_label_count(rows: int, train: int, train_dev: int | None) -> None:
    """One row of soft labels per example of the training distribution (train, or train + train-dev)."""
    allowed = {train} if train_dev is None else {train, train + train_dev}
    if rows not in allowed:
        counts = " or ".join(str(n) for n in sorted(allowed))
        raise DataError(
            f"soft_labels has {rows} rows but the training distribution has {counts} examples:"
            " give one row of class probabilities per training example"
        )


def batch_size_warning(n_train: int, batch_size: int, carved: bool) -> str | None:
    """A batch larger than the training set makes every epoch one full-batch step: worth a word."""
    if batch_size <= n_train:
        return None
    held_out = " after train-dev is held out" if carved else ""
    return (
        f"batch_size {batch_size} is larger than the training set ({n_train} examples{held_out}):"
        f" every epoch is a single full-batch step; use a batch size below {n_train}"
    )


def training_steps(n: int, batch_size: int) -> int:
    """Batches per shuffled epoch: a last batch of one example is dropped, since BatchNorm cannot
    train on it and carving train-dev makes the training-set size hard for a user to foresee."""
    steps, rest = divmod(n, batch_size)
    return steps + (rest > 1 or (rest == 1 and steps == 0))


def carve_train_dev(train: Split, seed: int) -> tuple[Split, Split]:
    """Hold out part of train as train-dev: 10 % (at least 500, at most a quarter, at most 10 000).

    Five hundred examples give an error rate near 5 % a 95 % interval about ±2 points wide.
    """
    kept, held = carve_indices(len(train), seed)
    return train.take(kept, "train"), train.take(held, "train_dev")


def carve_indices(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(kept, held out): which of train's `n` examples stay in train and which become train-dev."""
    if n < 8:
        raise DataError(
            f"train has only {n} examples, too few to hold out a train-dev split:"
            " give more training data or pass train_dev= in Splits"
        )
    size = min(max(n // 10, 500), n // 4, 10_000)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919))
    return order[size:].sort().values, order[:size].sort().values


def check_labels(data: Data, num_classes: int | None) -> None:
    """Every in-memory label must index one of the model's `num_classes` outputs (when it has classes)."""
    if num_classes is None:
        return
    for name, split in data.named().items():
        if isinstance(split, TensorSplit) and len(split) and int(split.y.max()) >= num_classes:
            raise DataError(
                f"split '{name}' has label {int(split.y.max())} but the model outputs"
                f" {num_classes} classes: labels must lie in [0, {num_classes}) —"
                " widen the model's last layer or remap the labels"
            )


def target_scale(data: Data, task: str, seed: int) -> float:
    """The unit gaps are measured in: 1 for error rates, var(y_train) for MSE."""
    if tasks.get(task).rate:
        return 1.0
    _, y = data.train.sample(50_000, seed)
    variance = float(y.float().var(dim=0, unbiased=True).mean()) if len(y) > 1 else 0.0
    return variance if variance > 0 else 1.0


def choose_rows(n: int, k: int, seed: int) -> torch.Tensor:
    """The k row indices `Split.sample` draws (sorted); callers take every row when k ≥ n."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k].sort().values


def _to_split(name: str, source: Any, task: tasks.Task, device: torch.device) -> Split:
    if source is None:
        raise DataError(f"split '{name}' is missing: Splits needs at least train and dev")
    if isinstance(source, Dataset):
        return _dataset_split(name, source, device, getattr(torch, task.target_dtype))
    if not (isinstance(source, (tuple, list)) and len(source) == 2):
        raise DataError(
            f"split '{name}' must be a pair (X, y) of numpy arrays or torch tensors (X may be a tuple"
            f" or dict of them), or a torch Dataset yielding (x, y); got {type(source).__name__}"
        )
    x = inputs.validate(source[0], name, _as_tensor)
    y = _as_tensor(source[1], name, "y")
    if inputs.rows(x) != y.shape[0]:
        raise DataError(
            f"split '{name}': X has {inputs.rows(x)} rows but y has {y.shape[0]};"
            " give exactly one target per input"
        )
    if y.shape[0] == 0:
        raise DataError(f"split '{name}' is empty: every split needs at least one example")
    for leaf in inputs.leaves(x):
        tasks.check_finite(leaf, name, "X")
    return TensorSplit(name, inputs.to(x, device), task.targets(y, name).to(device))


def _dataset_split(
    name: str, dataset: Dataset, device: torch.device, target_dtype: torch.dtype
) -> DatasetSplit:
    with user_code(f"len() of the '{name}' Dataset"):
        size = len(dataset)  # type: ignore[arg-type]
    if size == 0:
        raise DataError(f"split '{name}' is empty: every split needs at least one example")
    with user_code(f"reading item 0 of the '{name}' Dataset"):
        item = dataset[0]
    if not (isinstance(item, (tuple, list)) and len(item) == 2):
        raise DataError(
            f"split '{name}': the Dataset must yield (x, y) pairs; item 0 is a {type(item).__name__}"
        )
    return DatasetSplit(name, dataset, device, target_dtype)


def _as_tensor(value: Any, split: str, role: str) -> torch.Tensor:
    if isinstance(value, np.ndarray):
        if value.dtype == object or not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise DataError(f"split '{split}': {role} has dtype {value.dtype}; use a numeric array")
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, torch.Tensor):
        raise DataError(
            f"split '{split}': {role} is a {type(value).__name__}; use a numpy array or torch tensor"
        )
    if value.dim() == 0:
        raise DataError(f"split '{split}': {role} is a scalar; it needs one row per example")
    if value.dtype == torch.bool or value.dtype == torch.float64:
        value = value.float()
    return value.detach()


def _check_same_input_shape(named: dict[str, Split]) -> None:
    shapes = {n: inputs.shapes(s.x) for n, s in named.items() if isinstance(s, TensorSplit)}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{n} {s}" for n, s in shapes.items())
        raise DataError(f"splits disagree on the shape of one input ({listed}); make them match")


def flat_features(x: Inputs) -> torch.Tensor:
    """One row per example, float32, for models and estimators that need vectors."""
    return inputs.flat(x)


def standardise(reference: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Centre and scale by `reference`'s per-feature mean and std, dropping constant features."""
    mean, std = reference.mean(dim=0), reference.std(dim=0)
    keep = std > 1e-8 * max(1.0, float(std.max())) if std.numel() else std > 0
    scale = std[keep]
    return [(t[:, keep] - mean[keep]) / scale for t in (reference, *others)]
