"""Speed-up of a sweep with two workers against one (target: at least 1.8 on 2 cores).

    python benchmarks/bench_sweep.py [--jobs 4] [--repeat 3] [override ...]

Runs ``python -m sim -m seed=1,...,N`` (the default scenario, figures and GIS
layers off) with ``hydra.launcher.n_jobs=1`` and ``=2``, each ``--repeat``
times, alternating; prints the median wall times and their ratio, and the
times of the phases of one job in a worker (from its manifest).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sweep(workers: int, jobs: int, overrides: list[str], results: Path) -> float:
    """Wall time of one sweep (seconds)."""
    cmd = [sys.executable, "-m", "sim", "-m", f"seed={','.join(map(str, range(1, jobs + 1)))}",
           "research.figures=false", "research.gis=false", f"hydra.launcher.n_jobs={workers}",
           f"results_dir={results}", *overrides]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return wall


def main() -> None:
    """Time the sweeps and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for workers in (1, 2):
                times[workers].append(sweep(workers, args.jobs, args.overrides,
                                            Path(tmp) / f"{workers}_{i}"))
        one = next(Path(tmp).glob("1_0/sweeps/*/*/0/manifest.json"))
        wall_s = json.loads(one.read_text(encoding="utf-8"))["wall_time_s"]
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"{args.jobs} jobs, {args.repeat} repeats ({' '.join(args.overrides) or 'default'})")
    print(f"1 worker:  median {m1:.1f} s  ({', '.join(f'{t:.1f}' for t in times[1])})")
    print(f"2 workers: median {m2:.1f} s  ({', '.join(f'{t:.1f}' for t in times[2])})")
    print(f"speed-up: {m1 / m2:.2f} (target >= 1.8)")
    print(f"one job's model run and validation (manifest wall_time_s): {wall_s:.1f} s")


if __name__ == "__main__":
    main()
