"""Speed-up of a sweep with two workers against one (target: at least 1.8 on 2 cores).

    python benchmarks/bench_sweep.py [--jobs 4] [--repeat 3] [override ...]

Runs ``python -m sim -m seed=1,...,N`` (the default scenario, figures and GIS
layers off) with ``hydra.launcher.n_jobs=1`` and ``=2``, each ``--repeat``
times, alternating; prints the median wall times and their ratio, the median of
each repeat's own ratio, and the model run time of one job (from its manifest).

On a shared virtual machine the cores' speed varies from minute to minute. Each
repeat therefore also measures the machine's own ceiling in the same window:
the speed-up of plain Python arithmetic (no I/O, no shared state) run as two
processes against one. A sweep cannot beat that figure; the ratio of the two
says how much of what the machine gives the sweep takes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def ceiling(loops: int = 15_000_000) -> float:
    """The machine's speed-up now: the same pure-Python work twice, on 1 process, then 2."""
    times = []
    for workers in (1, 2):
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(abs, range(workers))  # workers up before the clock starts
            t0 = time.perf_counter()
            pool.map(_spin, [loops, loops], chunksize=1)
            times.append(time.perf_counter() - t0)
    return times[0] / times[1]


def main() -> None:
    """Time the sweeps and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], 2: []}
    ceilings: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            ceilings.append(ceiling())
            for workers in (1, 2):
                times[workers].append(sweep(workers, args.jobs, args.overrides,
                                            Path(tmp) / f"{workers}_{i}"))
        one = next(Path(tmp).glob("1_0/sweeps/*/*/0/manifest.json"))
        wall_s = json.loads(one.read_text(encoding="utf-8"))["wall_time_s"]
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"{args.jobs} jobs, {args.repeat} repeats ({' '.join(args.overrides) or 'default'})")
    print(f"1 worker:  median {m1:.1f} s  ({', '.join(f'{t:.1f}' for t in times[1])})")
    print(f"2 workers: median {m2:.1f} s  ({', '.join(f'{t:.1f}' for t in times[2])})")
    paired = [a / b for a, b in zip(times[1], times[2], strict=True)]
    print(f"speed-up: {m1 / m2:.2f} (target >= 1.8); median of the repeats' own ratios "
          f"{statistics.median(paired):.2f} ({', '.join(f'{r:.2f}' for r in paired)})")
    print(f"machine's ceiling in the same windows (pure-Python work, 2 processes against 1): "
          f"median {statistics.median(ceilings):.2f} ({', '.join(f'{c:.2f}' for c in ceilings)})")
    print(f"one job's model run and validation (manifest wall_time_s): {wall_s:.1f} s")


if __name__ == "__main__":
    main()
