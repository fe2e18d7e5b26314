"""Section 6 of docs/validation.md: the plan's pre-screen, designation and costs.

1. the greedy ranking's coverage against the exact maximal covering optimum
   (scipy's HiGHS) for the same number of points, per Oost-5 region;
2. the points designated against the national build-up and German practice;
3. the static estimate of the norm against the model, for a few packages;
4. the cost per equipped point against outside budgets.

``python docs/plan_validation.py`` prints the section (about a minute);
``docs/make_validation.py`` includes it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import compose_config  # noqa: E402

from sim.params.validate import prepare  # noqa: E402
from sim.plan.package import total  # noqa: E402
from sim.plan.propose import static_norm  # noqa: E402
from sim.plan.screen import (  # noqa: E402
    coverage_matrix,
    greedy_cover,
    max_cover_exact,
    screen,
)
from sim.plan.settings import read_plan  # noqa: E402
from sim.plan.space import uniform  # noqa: E402
from sim.results.batch import run_once  # noqa: E402


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def plan_section() -> str:
    """The section's markdown."""
    from omegaconf import OmegaConf

    cfg = compose_config()
    base = prepare(cfg)
    p = base.params
    region = base.region
    plan = OmegaConf.to_container(OmegaConf.load(ROOT / "configs" / "plan" / "default.yaml"))
    assert isinstance(plan, dict)
    settings = read_plan({str(k): v for k, v in plan.items()})

    greedy_rows = []
    for name in sorted(set(region.municipalities["region"].astype(str))):
        d = region.demand_points[region.demand_points["region"].astype(str) == name]
        s = region.support_point_candidates[
            region.support_point_candidates["region"].astype(str) == name]
        cover = coverage_matrix(shapely.get_coordinates(d.geometry.to_numpy()),
                                shapely.get_coordinates(s.geometry.to_numpy()),
                                p.population.access.cycle_km, p.network.detour_factor)
        w = d["residents"].to_numpy(float)
        _, covered = greedy_cover(cover, w)
        for k in (5, 10, 20, 40):
            if k > len(covered):
                continue
            t0 = time.perf_counter()
            best = max_cover_exact(cover, w, k)
            greedy_rows.append([name, k, f"{covered[k - 1] / w.sum():.4f}",
                                f"{best / w.sum():.4f}", f"{covered[k - 1] / best:.4f}",
                                f"{time.perf_counter() - t0:.2f} s"])

    density_rows = []
    for rpp in (None, 18000, 5000):
        sc = screen(base, settings.min_cover, rpp)
        n = sum(len(r.points) for r in sc.regions.values())
        res = sum(r.residents for r in sc.regions.values())
        cov = sum(r.cover * r.residents for r in sc.regions.values()) / res
        density_rows.append([rpp or "none (cover only)", n, f"{res / n:,.0f}", f"{cov:.3f}"])

    sc = screen(base, settings.min_cover, settings.residents_per_point)
    regions = tuple(sorted(sc.regions))
    static_rows = []
    for fixed, autonomy in ((0.5, 8.0), (1.0, 8.0), (0.5, 48.0), (1.0, 48.0)):
        pkg = uniform(regions, fixed, 0.0, 0, 0, autonomy)
        des = run_once(cfg, pkg.overrides(sc, p), p.seed)["all"]["norm_72h_share"]
        static_rows.append([f"{fixed:.0%} fixed generators, {autonomy:g} h of fuel",
                            f"{static_norm(pkg, sc, p):.3f}", f"{des:.3f}",
                            f"EUR {total(pkg.cost(sc, p, settings.costs)) / 1e6:.2f} million"])
    # A newly equipped point: its generator, a year of upkeep, and the storage that
    # tops its tank up to 48 h at full load.
    c = settings.costs
    kva, tank = p.support_points.generator_kva, p.support_points.tank_l
    storage_l = 48.0 * p.power.litres_per_hour(kva, 1.0) - tank
    per_point = (c.point_generator_eur + c.generator_upkeep_eur_per_year
                 + storage_l * c.fuel_storage_eur_per_l)

    return "\n".join([
        "## 6. The plan: pre-screen, designation and costs",
        "",
        "`blackout-sim-plan` designates local points with a greedy maximal-coverage ranking "
        "(residents within cycling distance, `population.access.cycle_km`). Greedy coverage is "
        "guaranteed within 1 - 1/e of the optimum; on the Oost-5 regions it equals the exact "
        "optimum of the integer programme (scipy's HiGHS) at every size tried:",
        "",
        _table(["region", "points", "greedy covers", "exact optimum", "greedy / exact",
                "exact solve"], greedy_rows),
        "",
        "The tests check the guarantee (and that one point is exact) on random instances "
        "(`tests/test_plan.py`).",
        "",
        "Points designated in Oost-5 (3.36 million residents, 675 candidate sites) by the "
        "density rule `plan.residents_per_point`, with `plan.min_cover` 0.9:",
        "",
        _table(["residents per point", "points designated", "residents per point "
                "(achieved)", "static cover"], density_rows),
        "",
        "Outside: the Veiligheidsberaad's build-up starts with about 1,000 main points "
        "(hoofdsteunpunten; one per about 18,000 residents) and adds about 3,600 local points "
        "besides the ~960 fire stations (one per about 5,000; rd.nl/artikel/1100199, spring "
        "2025, and rd.nl/artikel/1106447, May 2025). German districts plan one per about "
        "7,000-10,000 (Brandenburg 326 Kat-Leuchttuerme for 2.57 million, mz.de Feb 2025; "
        "Kreis Borken 50 for 380,000; Kreis Recklinghausen 88 for 610,000), Berlin's top tier "
        "one per about 100,000. The default (18,000) is the national start, which the "
        "EUR 50 million is for; `plan.residents_per_point=5000` plans the full network.",
        "",
        "What the model adds to the static estimate of the norm (`sim.plan.propose."
        "static_norm`: own generators count when their fuel lasts 72 h or in the share of "
        "refuels the trucks can make), seed " + str(p.seed) + ":",
        "",
        _table(["package (every region)", "static estimate", "model", "cost"], static_rows),
        "",
        "The static estimate only orders the first proposals; the model decides (decisions, "
        "key holders, start failures, breakdowns and staff are not in the estimate).",
        "",
        f"Cost of equipping one point with a fixed generator and 48 h of fuel: EUR "
        f"{per_point:,.0f} (generator with transfer switch EUR "
        f"{c.point_generator_eur:,.0f}, a year of upkeep EUR "
        f"{c.generator_upkeep_eur_per_year:,.0f}, {storage_l:,.0f} L of storage and first "
        f"fill at EUR {c.fuel_storage_eur_per_l:g} a litre). Outside budgets per point: "
        "Konstanz up to EUR 20,000 per Notfalltreffpunkt "
        "(swr.de, Dec 2022), Berlin EUR 1.3 million for 36 Kat-Leuchttuerme, about EUR 36,000 "
        "each (2020), Brandenburg EUR 40 million for 326, about EUR 123,000 each all-in "
        "(2025); the Dutch EUR 50 million for the first 1,000 points is EUR 50,000 a point. "
        "Unit prices and their sources: `configs/plan/default.yaml`.",
        "",
        "The chosen package reruns to the norm the plan reported for that seed, an "
        "interrupted plan resumes to the same frontier, and one process gives the same "
        "results as two (`tests/test_plan.py`).",
    ])


if __name__ == "__main__":
    print(plan_section())
