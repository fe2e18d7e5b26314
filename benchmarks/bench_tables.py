"""Bytes per run folder and the time to write it: CSV, Parquet, and a sweep job's summary.

    python benchmarks/bench_tables.py [--repeat 3] [region.select.regions=[Twente] ...]

Runs the scenario once (default Oost-5) and writes its folder with
``tables.format=csv``, ``tables.format=parquet`` (the default) and
``tables.keep=summary`` (what a sweep job needs), each ``--repeat`` times; prints
the median write time, the bytes of one folder and what a 1,000-job sweep would
take on disk.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sim.cli.common import compose_config
from sim.params.validate import prepare
from sim.results.folder import RunInfo, TableSettings, write_run
from sim.results.run import run

MODES = {"csv, all": TableSettings("csv", "all"), "parquet, all": TableSettings("parquet", "all"),
         "parquet, summary": TableSettings("parquet", "summary")}


def folder_bytes(folder: Path) -> int:
    """Bytes of every file below ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    """Write one run's folder in each mode and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    cfg = compose_config(args.overrides)
    t0 = time.perf_counter()
    result = run(prepare(cfg))
    print(f"run: {time.perf_counter() - t0:.1f} s ({' '.join(args.overrides) or 'default'})")
    info = RunInfo(started=datetime.now(UTC), wall_s=0.0, command=[], overrides=[])
    print(f"{'mode':<18}{'write s (median)':>18}{'MB per job':>12}{'GB per 1,000 jobs':>20}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, mode in MODES.items():
            times, size = [], 0
            for i in range(args.repeat):
                target = Path(tmp) / name.replace(", ", "_") / str(i)
                t = time.perf_counter()
                write_run(target, result, "{}\n", info, tables_as=mode)
                times.append(time.perf_counter() - t)
                size = folder_bytes(target)
            print(f"{name:<18}{statistics.median(times):>18.2f}{size / 1e6:>12.2f}"
                  f"{size * 1000 / 1e9:>20.2f}")


if __name__ == "__main__":
    main()
