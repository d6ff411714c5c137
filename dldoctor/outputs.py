"""Where results are written. Every path is checked before any work starts, so a typo costs
seconds, not a training run; every file is written whole (a temporary file beside it, then a
rename) with the mode the umask gives, like any other tool's output (CI uploads it for others)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dldoctor.errors import UsageError


def check_file(path: Path, option: str) -> None:
    """Fail now when `option`'s file could not be written to `path` later."""
    if path.is_dir():
        raise UsageError(f"{option}: cannot write {path}: it is a directory; give a file name")
    if path.exists() and not path.is_file():
        raise UsageError(f"{option}: cannot write {path}: it is not a regular file; choose another path")
    parent = _folder_of(path)
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{option}: cannot write {path}: {parent} is not a folder")
    if not parent.is_dir():
        raise UsageError(f"{option}: cannot write {path}: folder {parent} does not exist")
    _probe(parent, path, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option}: cannot write {path}: permission denied; choose another path")


def check_folder(folder: Path, option: str) -> None:
    """Fail now when `option`'s folder could not be created or written into later; creates nothing."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option}: cannot write into {folder}: {existing} is not a folder")
    _probe(existing, folder, option)


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a reader sees the old file or the whole new one."""
    try:
        fd, tmp = tempfile.mkstemp(dir=_folder_of(path), prefix=".dldoctor-")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}; choose another path") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}; choose another path") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _probe(folder: Path, target: Path, option: str) -> None:
    """Create and remove a temporary file: the only test that also holds for root, /proc and
    read-only mounts, where permission bits say nothing."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".dldoctor-probe-")
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {target}: {exc.strerror}; choose another path") from None
    os.close(fd)
    os.unlink(tmp)


def _umask() -> int:
    """The process umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
