"""Saved predictions: read labels and outputs per split from a file, checked, in row chunks.

An `.npz` holds `{split}_labels` and `{split}_outputs` for train, train_dev and dev (test optional),
optionally `{split}_embeddings` and `{split}_inputs`, the `task`, and the training loss per step
(`losses`, with `initial_loss` and `steps_per_epoch` when known). A Parquet or CSV file holds one
row per example: `split`, `label`, `output_0..output_{K-1}` (or `output`), optionally `embedding_*`
and `input_*`. Arrays in an `.npz` are streamed from the archive, never loaded whole, so a million
rows of a thousand classes fit in bounded memory. Per-example metadata for error analysis by slice:
`{split}_meta_{name}` arrays in an `.npz`, `meta_{name}` columns in a table.
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from dldoctor.data import SPLIT_NAMES
from dldoctor.errors import DataError, UsageError
from dldoctor.recipe import TASKS

REQUIRED_SPLITS = ("train", "train_dev", "dev")
CHUNK_BYTES = 64 << 20  # rows read at a time: about this many bytes of one array
LOCAL_HEADER = 30  # bytes of a zip local file header before its name and extra field
ROLES = ("labels", "outputs", "embeddings", "inputs")
META = "meta_"  # `{split}_meta_{name}` (.npz) or a `meta_{name}` column (table): metadata for slices


class Column(Protocol):
    """One array of a predictions file, read a chunk of rows at a time."""

    key: str

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype: ...

    def chunks(self) -> Iterator[np.ndarray]: ...


@dataclass
class MemoryColumn:
    """An array already in memory (CSV, Parquet, a compressed or Fortran-ordered npz member)."""

    key: str
    array: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def chunks(self) -> Iterator[np.ndarray]:
        step = _rows_per_chunk(self.array)
        for start in range(0, len(self.array), step):
            yield self.array[start : start + step]


@dataclass
class NpzColumn:
    """A C-ordered array inside an .npz, read row chunk by row chunk.

    A stored (uncompressed, as `np.savez` writes) member is read straight from the file at its
    offset into a fresh array per chunk: one copy from the page cache, no CRC pass, and resident
    memory bounded by the chunk (a memory map would be as fast but count every page it touched).
    A compressed member is streamed through the zip decoder instead.
    """

    key: str
    path: Path
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int | None = None  # where a stored member's array data starts in the file

    def chunks(self) -> Iterator[np.ndarray]:
        row = self.dtype.itemsize * math.prod(self.shape[1:])
        step = max(1, CHUNK_BYTES // max(1, row))
        with self._opened() as f:
            for start in range(0, self.shape[0], step):
                chunk = np.empty((min(step, self.shape[0] - start), *self.shape[1:]), self.dtype)
                if f.readinto(chunk.data.cast("B")) != chunk.nbytes:  # type: ignore[attr-defined]
                    raise DataError(f"'{self.key}' ends early: the .npz is truncated; save it again")
                yield chunk

    @contextmanager
    def _opened(self) -> Iterator[IO[bytes]]:
        """The member's bytes, positioned at its array data."""
        if self.offset is not None:
            with open(self.path, "rb", buffering=0) as f:
                f.seek(self.offset)
                yield f
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(f"{self.key}.npy") as f:
            _header(f)
            yield f


@dataclass
class SplitColumns:
    labels: np.ndarray
    outputs: Column
    embeddings: Column | None = None
    inputs: Column | None = None

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Predictions:
    """A checked predictions file: each split's columns, the task, and the loss curve when saved."""

    name: str
    task: str
    splits: dict[str, SplitColumns]
    losses: np.ndarray | None = None  # the training loss of each step, in order
    initial_loss: float = math.nan
    steps_per_epoch: int | None = None
    metadata: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # split → column → values

    @property
    def classes(self) -> int | None:
        return self.splits["train"].outputs.shape[1] if self.task == "classification" else None


def load_predictions(path: Path, task: str | None = None) -> Predictions:
    """Read and check a predictions file (.npz, .parquet or .csv); `task` overrides the file's."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"predictions file {path} does not exist; give an .npz, .parquet or .csv file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        columns, scalars = _npz_columns(path)
    elif suffix in (".parquet", ".csv"):
        columns, scalars = _table_columns(path)
    else:
        raise UsageError(f"predictions file {path}: unknown type '{suffix}'; use .npz, .parquet or .csv")
    return _checked(path, columns, scalars, task)


def _checked(
    path: Path, columns: dict[str, Column], scalars: dict[str, Any], task: str | None
) -> Predictions:
    task = task or (str(scalars["task"]) if "task" in scalars else None)
    if task is None:
        raise UsageError(f"{path} has no 'task' key: pass --task classification or --task regression")
    if task == "multilabel":
        raise UsageError(
            f"{path}: multilabel predictions files are not read yet (logits and probabilities look"
            " alike there); diagnose the recipe, or use dd.monitor in your loop"
        )
    if task not in TASKS:
        raise UsageError(f"{path}: unknown task {task!r}; use --task classification or --task regression")
    splits = {}
    for split in SPLIT_NAMES:
        present = [role for role in ROLES if f"{split}_{role}" in columns]
        if split not in REQUIRED_SPLITS and not present:
            continue
        for role in ("labels", "outputs"):
            if role not in present:
                raise DataError(
                    f"{path} has no '{split}_{role}': save the model's {role} on every example of"
                    f" {split} (dldoctor needs train, train_dev and dev; train_dev is held-out data"
                    " from the training distribution)"
                )
        labels = _labels(columns[f"{split}_labels"], task)
        found = {role: columns[f"{split}_{role}"] for role in present if role != "labels"}
        for role, column in found.items():
            if column.shape[0] != len(labels):
                raise DataError(
                    f"'{split}_{role}' has {column.shape[0]} rows but '{split}_labels' has {len(labels)}:"
                    " save one row per example, in the same order"
                )
        _check_shapes(split, task, labels, found["outputs"])
        splits[split] = SplitColumns(labels, found["outputs"], found.get("embeddings"), found.get("inputs"))
    losses = _float_array(columns["losses"]) if "losses" in columns else None
    initial = float(scalars["initial_loss"]) if "initial_loss" in scalars else math.nan
    steps = int(scalars["steps_per_epoch"]) if "steps_per_epoch" in scalars else None
    metadata = {split: _metadata(columns, split, len(s)) for split, s in splits.items()}
    return Predictions(
        path.stem, task, splits, losses, initial, steps, {k: v for k, v in metadata.items() if v}
    )


def _metadata(columns: dict[str, Column], split: str, rows: int) -> dict[str, np.ndarray]:
    """The split's per-example metadata columns (`{split}_meta_{name}`), for error analysis by slice."""
    prefix = f"{split}_{META}"
    found = {}
    for key, column in columns.items():
        if not key.startswith(prefix):
            continue
        if len(column.shape) != 1 or column.shape[0] != rows:
            raise DataError(
                f"'{key}' has shape {column.shape}: metadata needs one value per example of"
                f" '{split}' ({rows})"
            )
        found[key.removeprefix(prefix)] = np.concatenate(list(column.chunks()))
    return found


def _labels(column: Column, task: str) -> np.ndarray:
    labels = np.concatenate(list(column.chunks())) if column.shape[0] else np.zeros(0)
    if task == "regression":
        if not np.issubdtype(labels.dtype, np.number):
            raise DataError(f"'{column.key}' must be numbers for regression")
        labels = labels.astype(np.float32)
        if not np.isfinite(labels).all():
            raise DataError(f"'{column.key}' has NaN or infinite targets: drop or fix those examples")
        return labels
    if labels.ndim != 1:
        raise DataError(
            f"'{column.key}' has shape {labels.shape}: classification labels are one class index per"
            " example (not one-hot rows); for regression targets pass --task regression"
        )
    if np.issubdtype(labels.dtype, np.floating) and not (
        np.isfinite(labels).all() and (labels == np.round(labels)).all()
    ):
        raise DataError(
            f"'{column.key}' holds non-integer values: classification needs class indices;"
            " for regression targets pass --task regression"
        )
    if not np.issubdtype(labels.dtype, np.number):
        raise DataError(f"'{column.key}' must hold integer class indices, got {labels.dtype}")
    return labels.astype(np.int64)


def _check_shapes(split: str, task: str, labels: np.ndarray, outputs: Column) -> None:
    shape = outputs.shape
    if task == "classification":
        if len(shape) != 2 or shape[1] < 2:
            raise DataError(
                f"task is classification but '{split}_outputs' has shape {shape}: save (examples, classes)"
                " logits or probabilities, or pass --task regression for regression predictions"
            )
        if len(labels) and (labels.min() < 0 or labels.max() >= shape[1]):
            bad = int(labels.max()) if labels.max() >= shape[1] else int(labels.min())
            raise DataError(
                f"'{split}_labels' has label {bad} but '{split}_outputs' has {shape[1]} classes: labels must"
                f" lie in [0, {shape[1]}) — save one output column per class, or remap the labels"
            )
    elif math.prod(shape[1:]) != math.prod(labels.shape[1:]):
        raise DataError(
            f"task is regression but '{split}_outputs' has shape {shape} for targets of shape"
            f" {labels.shape}: save one prediction per target, or pass --task classification for class scores"
        )


def _float_array(column: Column) -> np.ndarray:
    return np.concatenate(list(column.chunks())).astype(np.float64).reshape(-1)


def _npz_columns(path: Path) -> tuple[dict[str, Column], dict[str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path} is not a readable .npz ({exc}); save it with numpy.savez") from None
    columns: dict[str, Column] = {}
    scalars: dict[str, Any] = {}
    with archive:
        for info in archive.infolist():
            key = info.filename.removesuffix(".npy")
            with archive.open(info) as f:
                shape, fortran, dtype = _header(f)
            if dtype.hasobject:
                raise DataError(
                    f"'{key}' holds Python objects: save plain numeric arrays (allow_pickle is off)"
                )
            if not shape:
                scalars[key] = (
                    np.load(archive.open(info)).item() if dtype.kind != "U" else _string(archive, info)
                )
            elif fortran:
                columns[key] = MemoryColumn(key, np.ascontiguousarray(np.load(archive.open(info))))
            else:
                columns[key] = NpzColumn(key, path, shape, dtype, _data_offset(path, info))
    return columns, scalars


def _data_offset(path: Path, info: zipfile.ZipInfo) -> int | None:
    """Where a stored member's array data starts in the file; None for a compressed member."""
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(LOCAL_HEADER)
        if len(local) < LOCAL_HEADER or local[:4] != b"PK\x03\x04":
            return None
        name, extra = struct.unpack("<HH", local[26:30])
        f.seek(info.header_offset + LOCAL_HEADER + name + extra)
        _header(f)
        return f.tell()


def _string(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    with archive.open(info) as f:
        return str(np.load(f))


def _header(f: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(f)


def _table_columns(path: Path) -> tuple[dict[str, Column], dict[str, Any]]:
    """One row per example with a `split` column; outputs (and embeddings, inputs) as numbered columns."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for an unreadable file
        raise UsageError(f"cannot read {path}: {exc}") from None
    for needed in ("split", "label"):
        if needed not in frame.columns:
            raise DataError(
                f"{path} has no '{needed}' column: give one row per example with split, label, output_*"
            )
    scalars: dict[str, Any] = {}
    if "task" in frame.columns:
        scalars["task"] = np.asarray(frame["task"].iloc[0])
    columns: dict[str, Column] = {}
    for split, rows in frame.groupby("split", sort=False):
        columns[f"{split}_labels"] = MemoryColumn(f"{split}_labels", rows["label"].to_numpy())
        for role, prefix in (("outputs", "output"), ("embeddings", "embedding"), ("inputs", "input")):
            names = [c for c in frame.columns if c == prefix or c.startswith(prefix + "_")]
            if names:
                values = rows[names].to_numpy(dtype=np.float32)
                values = values[:, 0] if names == [prefix] else values
                columns[f"{split}_{role}"] = MemoryColumn(f"{split}_{role}", values)
        for name in (c for c in frame.columns if c.startswith(META)):
            columns[f"{split}_{name}"] = MemoryColumn(f"{split}_{name}", rows[name].to_numpy())
    return columns, scalars


def _rows_per_chunk(array: np.ndarray) -> int:
    return max(1, CHUNK_BYTES // max(1, array[:1].nbytes))
