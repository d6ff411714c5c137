"""What every Bayes-error estimator returns: a value with a bootstrap interval and its provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One estimator's reading. `kind`: a point estimate, a lower bound, or a labelled heuristic.

    `representation` names the features it ran on ("inputs", "linear", "embedding", "outputs",
    "soft labels"); `dimension` and `n` say how far to trust a neighbour method there.
    """

    name: str
    value: float
    low: float
    high: float
    kind: str
    representation: str
    dimension: int
    n: int
    seconds: float
    note: str = ""

    @property
    def reliable(self) -> bool:
        """Neighbour methods need n^(-2/d) < 1/2 — neighbourhoods that still shrink as n grows."""
        return self.dimension <= reliable_dimension(self.n)

    def as_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "interval": [self.low, self.high],
            "kind": self.kind,
            "representation": self.representation,
            "dimension": self.dimension,
            "n": self.n,
            "seconds": round(self.seconds, 4),
            "note": self.note,
        }


def reliable_dimension(n: int) -> float:
    """The largest dimension at which nearest neighbours of n points are trusted: 2·log2(n).

    Neighbour distances shrink like n^(-1/d); beyond d = 2·log2(n), n^(-2/d) > 1/2 and the
    neighbourhoods stay wide however the data are arranged, so neighbour estimates run high.
    """
    return 2 * math.log2(max(n, 2))
