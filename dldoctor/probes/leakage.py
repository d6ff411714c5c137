"""Dev and test inputs that also sit in train, exactly or nearly: leakage that makes dev error too low.

Train-dev is searched too: drawn from the training distribution, its share of duplicates is the
rate at which unrelated examples coincide by chance (repeated measurements, discrete features), the
rate a leaked split has to exceed.
"""

from __future__ import annotations

from dataclasses import replace

from dldoctor import duplicates
from dldoctor.diagnosis import Duplicates, Evidence
from dldoctor.probes._base import Probe, RunContext


class Leakage(Probe):
    name = "leakage"

    def run(self, ctx: RunContext, evidence: Evidence) -> tuple[Duplicates, ...]:
        train, _ = ctx.data.train.sample(duplicates.MAX_REFERENCE, ctx.seed)
        found = []
        for split in (ctx.data.dev, ctx.data.test, ctx.data.train_dev):
            if split is not None:
                x, _ = split.sample(duplicates.MAX_QUERY, ctx.seed)
                found.append(duplicates.find_duplicates(x, train, split.name, "train", seed=ctx.seed))
        return tuple(found)

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, tuple)
        return replace(evidence, leakage=result)
