"""`--errors-csv`: every suspected label error as one CSV row, for relabelling by hand or in a tool."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from dldoctor.error_analysis import ErrorAnalysis

COLUMNS = ("split", "rank", "index", "given", "suggested", "self_confidence", "margin")


def suspects_frame(analysis: ErrorAnalysis):  # -> pandas.DataFrame, imported lazily: pandas is slow to load
    """One row per flagged example, split by split, most suspicious first within each split."""
    import pandas as pd

    rows = [
        {"split": split, "rank": rank, **asdict(suspect)}
        for split, noise in analysis.label_noise.items()
        for rank, suspect in enumerate(noise.suspects, start=1)
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_suspects_csv(analysis: ErrorAnalysis, path: Path) -> int:
    """Write the CSV (atomically); return how many rows it has."""
    from dldoctor.outputs import write_text

    frame = suspects_frame(analysis)
    write_text(path, frame.to_csv(index=False))
    return len(frame)
