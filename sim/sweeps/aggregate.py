"""Aggregating a sweep folder: its tables, then its figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.sweeps.figures import sweep_figures
from sim.sweeps.tables import SweepTables, gather, write_tables


def aggregate(folder: Path, indicators: Sequence[str] | None = None,
              figures: bool = True) -> SweepTables:
    """Gather a sweep folder and write its tables (and figures); return the tables."""
    tables = gather(folder)
    write_tables(tables)
    if figures:
        sweep_figures(tables, indicators)
    return tables
