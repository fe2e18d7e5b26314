"""Benchmark: hourly coverage on a national-scale grid of demand points.

A synthetic grid over the land area of the Netherlands (about 300 x 300 km):
``--demand`` demand points and ``--sites`` support points at random, each
site working in a random share of the hours. Prints the time to find the pairs
within walking and cycling distance (the spatial index), the time for the
hourly products, and the peak memory. Medians over ``--repeat`` repeats.

    python benchmarks/bench_coverage.py --demand 100000 --sites 8000 --hours 169
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
import shapely

from sim.research.coverage import coverage, pairs_within


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demand", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=8_000)
    parser.add_argument("--hours", type=int, default=169)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    span = 300_000.0
    demand = shapely.points(rng.uniform(0, span, (args.demand, 2)))
    sites = shapely.points(rng.uniform(0, span, (args.sites, 2)))
    working = rng.random((args.hours, args.sites)) < 0.7
    residents = rng.integers(10, 5000, args.demand).astype(float)
    hours = np.arange(float(args.hours))
    ids = [f"D{i}" for i in range(args.demand)]
    municipality = np.array([f"GM{i % 342:04d}" for i in range(args.demand)])
    pair_times, total_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        pairs = pairs_within(demand, sites, 3.0, 1.3)
        pair_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cov = coverage(demand, ids, municipality, residents, sites, working, hours,
                       walk_km=1.0, cycle_km=3.0, cycling_share=0.5, detour=1.3)
        by = cov.by(cov.municipality)
        total_times.append(time.perf_counter() - t0)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"demand points {args.demand:,}, sites {args.sites:,}, hours {args.hours}")
    print(f"pairs within 3 km: {pairs.nnz:,}; median {statistics.median(pair_times):.3f} s")
    print(f"coverage (walk + cycle pairs, {args.hours} hourly products) and the table per "
          f"municipality ({len(by):,} rows): median {statistics.median(total_times):.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in total_times)})")
    print(f"peak memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
