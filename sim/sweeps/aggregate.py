"""Aggregating a sweep folder: its tables, then its figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sim.sweeps.figures import sweep_figures
from sim.sweeps.jobs import SweepPlan
from sim.sweeps.tables import SweepTables, gather, write_tables


def aggregate(folder: Path, indicators: Sequence[str] | None = None,
              figures: bool = True,
              rebuild: Callable[[Path], SweepPlan | None] | None = None) -> SweepTables:
    """Gather a sweep folder and write its tables (and figures); return the tables.

    ``rebuild``: how to rebuild the job list where ``jobs.json`` is gone (``read_plan``).
    """
    tables = gather(folder, rebuild)
    write_tables(tables)
    if figures:
        sweep_figures(tables, indicators)
    return tables
