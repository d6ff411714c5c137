"""Failures a user can cause and fix. The CLI prints one as a single line and exits 2."""

from __future__ import annotations

import sysconfig
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_LIBRARY_DIRS = tuple(
    Path(p).resolve()
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (p := sysconfig.get_paths().get(key))
)


class DoctorError(Exception):
    """A problem with the user's recipe, data, model or options; str() is the whole message."""


DldoctorError = DoctorError  # the base's earlier name, kept for code that catches it


class RecipeError(DoctorError):
    """The recipe file or the Recipe object in it is unusable."""


class DataError(DoctorError):
    """The data factory returned splits that cannot be trained or measured on."""


class ModelError(DoctorError):
    """The model is incompatible with the task or the labels."""


class UsageError(DoctorError):
    """A command-line option or an output path is unusable."""


class PolicyError(DoctorError):
    """A quality-gate policy (pyproject table, policy file or flag) is unusable; names the key."""


class ReportError(DoctorError):
    """A stored report cannot be read: missing, not JSON, or not a schema this version knows."""


class TuningError(UsageError):
    """A tuning study cannot run as asked."""


class StorageError(TuningError):
    """The study storage cannot be opened."""


class ParamsError(TuningError):
    """A params file is missing, unreadable or does not fit the recipe."""


class TuningWontHelp(TuningError):
    """The diagnosis names a problem hyperparameter search cannot fix."""


class UserCodeError(DoctorError):
    """The user's own code raised; the message points at their frames, not ours."""

    def __init__(self, action: str, exc: BaseException) -> None:
        self.original = exc
        where = _user_frames(exc)
        suffix = f" (at {where})" if where else ""
        if isinstance(exc, SystemExit):
            super().__init__(
                f"{action} called sys.exit({exc.code!r}){suffix}; a stray argparse or main() in an imported"
                " script does this: guard it with `if __name__ == '__main__':`"
            )
            return
        detail = one_line(str(exc)) or "(no message)"
        super().__init__(f"{action} raised {type(exc).__name__}: {detail}{suffix}")


@contextmanager
def user_code(action: str) -> Iterator[None]:
    """Run user code, turning any exception it raises, or a sys.exit() (which would end dldoctor
    with the user's exit code, 0 included, before any check ran), into a UserCodeError."""
    try:
        yield
    except DoctorError:
        raise
    except (Exception, SystemExit) as exc:
        raise UserCodeError(action, exc) from exc


def raised_by_user_code(exc: BaseException) -> UserCodeError | None:
    """`exc` as a UserCodeError when the innermost frame outside libraries is the user's (their
    Dataset, transform or callback raised while our code drove it), else None: our own bug."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if _is_user_file(frame.filename):
            return UserCodeError("your code", exc)
        if Path(frame.filename).resolve().is_relative_to(_PACKAGE_DIR):
            return None
    return None


def user_location(exc: BaseException) -> str:
    """Where in the user's files `exc` was raised, or '' when it was not raised there."""
    return _user_frames(exc, keep=1)


def defined_at(fn: object) -> str:
    """' (file:line)' where a user's function is defined: for errors about what it returned."""
    code = getattr(fn, "__code__", None) or getattr(type(fn).__call__, "__code__", None)
    return f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    return not any(path.is_relative_to(d) for d in (_PACKAGE_DIR, *_LIBRARY_DIRS))


def _user_frames(exc: BaseException, keep: int = 3) -> str:
    """The innermost few frames that live in the user's files, outermost first."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_user_file(f.filename)]
    return " → ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-keep:])
