"""Dev and test inputs that also sit in train, exactly or nearly: leakage that makes dev error too low.

Train-dev is searched too: drawn from the training distribution, its share of duplicates is the
rate at which unrelated examples coincide by chance (repeated measurements, discrete features), the
rate a leaked split has to exceed. Its median distance to the nearest training row is also the yardstick
for how near dev and test lie to train: a split drawn like train-dev has about half its rows nearer than
that; one that shares items or sources with train (recordings of the same speakers, interleaved hours of
one time series) has clearly more, even where no row is a near copy.
"""

from __future__ import annotations

from dataclasses import replace

from dldoctor import duplicates
from dldoctor.diagnosis import Duplicates, Evidence
from dldoctor.inputs import Inputs
from dldoctor.probes._base import Probe, RunContext


class Leakage(Probe):
    name = "leakage"

    def run(self, ctx: RunContext, evidence: Evidence) -> tuple[Duplicates, ...]:
        train, _ = ctx.data.train.sample(duplicates.MAX_REFERENCE, ctx.seed)
        found = []
        yardstick = self._median_distance(ctx, train)
        for split in (ctx.data.dev, ctx.data.test, ctx.data.train_dev):
            if split is not None:
                x, _ = split.sample(duplicates.MAX_QUERY, ctx.seed)
                result = duplicates.find_duplicates(x, train, split.name, "train", seed=ctx.seed)
                if yardstick is not None and split is not ctx.data.train_dev:
                    distances = duplicates.nearest_distances(x, train, ctx.seed)
                    nearer = int((distances < yardstick).sum())
                    result = replace(result, nearer=nearer, nearer_of=len(distances))
                found.append(result)
        return tuple(found)

    @staticmethod
    def _median_distance(ctx: RunContext, train: Inputs) -> float | None:
        """Train-dev's median distance to its nearest training row; None without train-dev rows."""
        x, _ = ctx.data.train_dev.sample(duplicates.MAX_QUERY, ctx.seed)
        distances = duplicates.nearest_distances(x, train, ctx.seed)
        return float(distances.median()) if len(distances) else None

    def add(self, evidence: Evidence, result: object) -> Evidence:
        assert isinstance(result, tuple)
        return replace(evidence, leakage=result)
