"""Indicators per safety region, for runs over more than one region.

The same definitions as the region-wide indicators (``sim.results.points``,
``sim.results.indicators``), each over one safety region's municipalities,
sites and residents, so a planner in any region reads their own numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.model.engine import ModelResult
from sim.results.indicators import still_out
from sim.results.points import backup_cells, cell_share, cp_cells
from sim.results.records import affected_sites
from sim.results.records import rounded


def region_indicators(result: ModelResult, region_of: Mapping[str, str],
                      deadline_h: float = 72.0) -> dict[str, dict[str, Any]]:
    """Per safety region (``region_of``: municipality code -> region), at the deadline.

    Residents affected; planned local points and the 72-hour norm; coordination
    points functioning; residents still without power within reach of an open
    point; vulnerable residents in danger and harmed.
    """
    at = np.array([float(deadline_h)])
    f = result.flows
    site_region = {s: region_of.get(m, "") for s, m in result.site_municipality.items()}
    out_now = still_out(result)
    row = int(np.clip(np.searchsorted(f.times, deadline_h, side="right") - 1, 0,
                      max(len(f.times) - 1, 0))) if len(f.times) else None
    cases = result.cases
    danger_by: dict[str, int] = {}
    harmed_by: dict[str, int] = {}
    if not cases.empty:
        case_region = cases["municipality"].map(region_of)
        danger_by = cases["in_danger"].astype(bool).groupby(case_region).sum().to_dict()
        harmed_by = (cases["outcome"] == "harmed").groupby(case_region).sum().to_dict()
    # The cells once for all points; a region's share is a sum over its columns.
    planned = list(result.planned_points)
    norm_hit, norm_counted = backup_cells(result, at, planned)
    cps = affected_sites(result, result.coordination_points)
    cp_hit, cp_counted = cp_cells(result, at, cps)
    planned_region = np.array([site_region.get(p, "") for p in planned], dtype=object)
    cp_region = np.array([site_region.get(s, "") for s in cps], dtype=object)
    out: dict[str, dict[str, Any]] = {}
    for region in sorted(set(region_of.values())):
        codes = [c for c, r in region_of.items() if r == region]
        mine = [i for i, c in enumerate(f.municipalities) if region_of.get(c) == region]
        mine_p = planned_region == region
        mine_c = cp_region == region
        reach = None
        if row is not None and mine:
            off = out_now[row, mine]
            residents = float((f.residents[mine] * off).sum())
            reach = (float((f.in_reach[row, mine] * off).sum()) / residents
                     if residents > 0 else None)
        danger = int(danger_by.get(region, 0))
        harmed = int(harmed_by.get(region, 0))
        out[region] = {
            "municipalities": len(codes),
            "affected_municipalities": sum(c in result.grid.restored_at for c in codes),
            "residents_affected": int(round(float(sum(
                f.residents[i] for i in mine if f.municipalities[i] in result.grid.restored_at
            )))),
            "local_points_planned": int(mine_p.sum()),
            "norm_72h_share": rounded(
                cell_share(norm_hit[:, mine_p], norm_counted[:, mine_p], at).iloc[0]),
            "coordination_points_functional_share": rounded(
                cell_share(cp_hit[:, mine_c], cp_counted[:, mine_c], at).iloc[0]),
            "within_reach_share": None if reach is None else round(reach, 4),
            "vulnerable_in_danger": danger,
            "vulnerable_harmed": harmed,
        }
    return out

