"""Figures for docs/validation.md section 6: the plan's pre-screen against the exact optimum.

For every Oost-5 safety region: the residents the greedy ranking covers with the
designated number of points, against the exact maximal covering optimum for the
same number (scipy's HiGHS), and the points designated against the national
density references. Run: ``python docs/plan_validation.py`` (about a minute).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_default import default_config  # noqa: E402

from sim.params.validate import prepare  # noqa: E402
from sim.plan.screen import coverage_matrix, greedy_cover, max_cover_exact, screen  # noqa: E402


def main() -> None:
    """Print the tables."""
    base = prepare(default_config())
    p = base.params
    region = base.region
    print("| region | p | greedy covers | exact optimum | greedy / exact | exact solve |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in sorted(set(region.municipalities["region"].astype(str))):
        d = region.demand_points[region.demand_points["region"].astype(str) == name]
        s = region.support_point_candidates[
            region.support_point_candidates["region"].astype(str) == name]
        cover = coverage_matrix(shapely.get_coordinates(d.geometry.to_numpy()),
                                shapely.get_coordinates(s.geometry.to_numpy()),
                                p.population.access.cycle_km, p.network.detour_factor)
        w = d["residents"].to_numpy(float)
        order, covered = greedy_cover(cover, w)
        for k in (5, 10, 20, 40):
            if k > len(order):
                continue
            t0 = time.perf_counter()
            best = max_cover_exact(cover, w, k)
            t = time.perf_counter() - t0
            print(f"| {name} | {k} | {covered[k - 1] / w.sum():.4f} | {best / w.sum():.4f} | "
                  f"{covered[k - 1] / best:.4f} | {t:.1f} s |")
    print()
    print("| residents per point | points designated in Oost-5 | residents per point "
          "(achieved) | static cover within cycle_km |")
    print("|---|---:|---:|---:|")
    for rpp in (None, 18000, 5000):
        sc = screen(base, 0.9, rpp)
        n = sum(len(r.points) for r in sc.regions.values())
        res = sum(r.residents for r in sc.regions.values())
        cov = sum(r.cover * r.residents for r in sc.regions.values()) / res
        print(f"| {rpp or 'none (cover only)'} | {n} | {res / n:,.0f} | {cov:.3f} |")
    print(f"\ncandidate sites in Oost-5: {len(region.support_point_candidates)}; "
          f"residents {int(np.sum(region.municipalities['population'])):,}")


if __name__ == "__main__":
    main()
