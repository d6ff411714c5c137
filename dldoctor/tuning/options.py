"""How to search: the options of a tuning study, checked once before anything runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dldoctor.errors import UsageError
from dldoctor.tuning.pruners import PRUNERS
from dldoctor.tuning.samplers import SAMPLERS
from dldoctor.tuning.storage import StorageSettings, default_url

METRICS = ("dev_error", "dev_loss")


@dataclass(frozen=True)
class TuneOptions:
    """How to search. `storage` None is an SQLite file in the working directory; `study` None is
    the recipe's name. `explore` > 0 makes the first trials quasi-random before `sampler` adapts."""

    trials: int = 20
    metric: str = "dev_error"
    sampler: str = "tpe"
    explore: int = 0
    pruner: str = "median"
    storage: str | None = None
    study: str | None = None
    workers: int = 1
    seed: int = 0
    device: str | None = None
    epochs: int | None = None
    heartbeat: int = 10
    grace: int = 60
    retries: int = 2
    pack: int | str = "auto"

    def validate(self) -> TuneOptions:
        pack = self.pack
        if isinstance(pack, str) and pack.isdigit():
            return dataclasses.replace(self, pack=int(pack)).validate()
        if pack != "auto" and not (isinstance(pack, int) and pack >= 1):
            raise UsageError(f"--pack must be auto or a positive number of trials, got {pack!r}")
        for name in ("trials", "workers", "heartbeat", "grace"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name} must be a positive integer, got {getattr(self, name)}")
        if self.epochs is not None and self.epochs < 1:
            raise UsageError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.explore < 0 or self.retries < 0:
            raise UsageError("--explore and --retries must be zero or more")
        if self.metric not in METRICS:
            raise UsageError(f"--metric: unknown metric {self.metric!r}; use one of {', '.join(METRICS)}")
        if self.sampler not in SAMPLERS:
            raise UsageError(f"--sampler: unknown sampler {self.sampler!r}; use one of {', '.join(SAMPLERS)}")
        if self.pruner not in PRUNERS:
            raise UsageError(f"--pruner: unknown pruner {self.pruner!r}; use one of {', '.join(PRUNERS)}")
        if self.grace <= self.heartbeat:
            raise UsageError(f"--grace ({self.grace} s) must be longer than --heartbeat ({self.heartbeat} s)")
        return self

    @property
    def storage_url(self) -> str:
        return self.storage or default_url()

    @property
    def storage_settings(self) -> StorageSettings:
        return StorageSettings(self.heartbeat, self.grace, self.retries)
