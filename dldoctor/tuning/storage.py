"""Where a study lives: an SQLite file in the working directory by default, any SQLAlchemy URL
(PostgreSQL for a team) otherwise. A URL's password never reaches a message or a log.

SQLite is opened in WAL mode with a long busy timeout, so several worker processes on one host
queue for the write lock instead of failing with "database is locked", and with synchronous=NORMAL:
in WAL mode that survives a crashed process (only a power cut can lose the last commits) and spares
an fsync per commit — Optuna commits several times per trial. RDB storages get heartbeats:
a worker killed with -9 has its trial failed after the grace period and retried.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from dldoctor.errors import StorageError, one_line

DEFAULT_FILE = "dldoctor-tune.db"
SQLITE_TIMEOUT_S = 600


@dataclass(frozen=True)
class StorageSettings:
    """Heartbeats (seconds) and how often a trial lost with its worker is retried."""

    heartbeat: int = 10
    grace: int = 60
    retries: int = 2


def default_url(folder: Path | None = None) -> str:
    return f"sqlite:///{(folder or Path.cwd()) / DEFAULT_FILE}"


def mask(url: str) -> str:
    """The URL as it may be shown: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable storage URL>"


def open_storage(url: str, settings: StorageSettings) -> optuna.storages.RDBStorage:
    """An Optuna RDB storage for `url`, with heartbeats and retries of dead workers' trials."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    engine_kwargs: dict = {"pool_pre_ping": True}
    fresh = False  # a file created here gets this Optuna's schema: no need to check its version
    if backend == "sqlite":
        fresh = _prepare_sqlite(parsed.database)
        engine_kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                skip_compatibility_check=fresh,
                heartbeat_interval=settings.heartbeat,
                grace_period=settings.grace,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=settings.retries
                ),
            )
    except ImportError:
        raise StorageError(
            f"storage {mask(url)} needs a database driver: for PostgreSQL run"
            " `pip install 'psycopg[binary]'` (or install psycopg2 and write postgresql+psycopg2://)"
        ) from None
    except Exception as exc:
        raise StorageError(f"cannot open storage {mask(url)}: {_scrub(exc, parsed.password)}") from None
    if backend == "sqlite":
        event.listen(storage.engine, "connect", _sqlite_pragmas)
        storage.engine.dispose()  # connections opened before the listener reconnect with it
    return storage


def _sqlite_pragmas(connection, record) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


def _parse(url: str):
    try:
        parsed = make_url(url)
        parsed.get_backend_name()
    except (ArgumentError, ValueError):
        raise StorageError(
            "--storage must be a database URL such as sqlite:///study.db or"
            " postgresql://user:password@host:5432/db"
        ) from None
    return parsed


def _prepare_sqlite(database: str | None) -> bool:
    """Check the file is a sound SQLite database (or can be created), and switch it to WAL once
    (WAL mode persists in the file); whether it is new. An in-memory database is refused: every
    connection of the pool, and every worker, would see a different empty one."""
    if not database or database == ":memory:":
        raise StorageError(
            "--storage names no file: give one, e.g. sqlite:///study.db (here) or sqlite:////abs/study.db"
        )
    path = Path(database)
    if not path.parent.is_dir():
        raise StorageError(f"cannot create the study file {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise StorageError(f"the study file {path} is a directory; give a file name")
    new = not path.exists()
    fresh = new or path.stat().st_size == 0
    if new:
        _copy_template(path)
    try:
        with sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check(3)")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(problems[0])
            connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"the study file {path} is damaged ({one_line(str(exc), 120)}): restore it from a backup,"
            " or move it aside and start again (a new file, or --storage sqlite:///NEW.db)"
        ) from None
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the study file {path}: {exc}") from None
    return fresh


def _copy_template(path: Path) -> None:
    """Start a new study file as a copy of an empty one with this Optuna's schema: creating the schema
    costs ≈ 0.1 s per study (Optuna stamps it with alembic), a copy ≈ 1 ms. The copy appears under its
    name at once (a hard link), so a worker starting beside us sees either no file or a whole one;
    without a template (no writable cache) or where the copy fails (a read-only folder, another worker
    made the file first, no hard links) Optuna creates the schema as before, or its error is reported."""
    template = _template()
    if template is None:
        return
    with contextlib.suppress(OSError), tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        copy = Path(scratch) / path.name
        shutil.copyfile(template, copy)
        os.link(copy, path)


def _template() -> Path | None:
    """The empty study file for this Optuna version in the user's cache, made on first use."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dldoctor"
    path = folder / f"optuna-{optuna.__version__}-empty-study.db"
    if path.is_file():
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            made = Path(scratch) / path.name
            optuna.storages.RDBStorage(f"sqlite:///{made}").engine.dispose()
            os.replace(made, path)
    except (OSError, SQLAlchemyError, optuna.exceptions.OptunaError):
        return None
    return path


def _scrub(exc: BaseException, password: str | None) -> str:
    """The error's first line with the password (if any) removed."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line.replace(password, "***") if password else line
