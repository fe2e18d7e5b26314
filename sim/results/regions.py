"""Indicators per safety region, for runs over more than one region.

The same definitions as the region-wide indicators (``sim.results.points``,
``sim.results.indicators``), each over one safety region's municipalities,
sites and residents, so a planner in any region reads their own numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.model.engine import ModelResult
from sim.model.vulnerable import REACHED
from sim.results.indicators import without_power
from sim.results.points import backup_cells, cell_share, cp_cells
from sim.results.records import affected_sites, hours, rounded


def _cells_at(cells: Callable[[ModelResult, np.ndarray, Sequence[str]],
                              tuple[np.ndarray, np.ndarray]],
              result: ModelResult, t: float,
              ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The [1, site] cells at ``t``: a row of the reporting grid's (shared) where it is one."""
    grid = hours(result.horizon_h)
    row = np.flatnonzero(grid == t)
    if len(row):
        hit, counted = cells(result, grid, ids)
        return hit[row], counted[row]
    return cells(result, np.array([t]), ids)


def region_indicators(result: ModelResult, region_of: Mapping[str, str],
                      deadline_h: float = 72.0) -> dict[str, dict[str, Any]]:
    """Per safety region (``region_of``: municipality code -> region), at the deadline."""
    return group_indicators(result, region_of, deadline_h)


def municipality_indicators(result: ModelResult, deadline_h: float = 72.0
                            ) -> dict[str, dict[str, Any]]:
    """Per municipality (by CBS code), at the deadline."""
    return group_indicators(result, {c: c for c in result.flows.municipalities}, deadline_h,
                            municipalities=False)


def group_indicators(result: ModelResult, group_of: Mapping[str, str],
                     deadline_h: float = 72.0,
                     municipalities: bool = True) -> dict[str, dict[str, Any]]:
    """Per group of municipalities (``group_of``: code -> group), at the deadline.

    Residents affected; planned local points and the 72-hour norm; coordination
    points functioning; residents still without power within reach of an open
    point and of an operational one (open with power); vulnerable residents in
    danger, reached in time and harmed. ``municipalities``: also count them.
    """
    at = np.array([float(deadline_h)])
    f = result.flows
    site_group = {s: group_of.get(m, "") for s, m in result.site_municipality.items()}
    out_now = without_power(result)
    row = int(np.clip(np.searchsorted(f.times, deadline_h, side="right") - 1, 0,
                      max(len(f.times) - 1, 0))) if len(f.times) else None
    cases = result.cases
    danger_by: dict[str, int] = {}
    harmed_by: dict[str, int] = {}
    reached_by: dict[str, int] = {}
    if not cases.empty:
        case_group = cases["municipality"].map(group_of)
        danger = cases["in_danger"].astype(bool)
        danger_by = danger.groupby(case_group).sum().to_dict()
        harmed_by = (cases["outcome"] == "harmed").groupby(case_group).sum().to_dict()
        reached = danger & cases["outcome"].isin(REACHED)
        reached_by = reached.groupby(case_group).sum().to_dict()
    # The cells once for all points; a group's share is a sum over its columns.
    planned = list(result.planned_points)
    norm_hit, norm_counted = _cells_at(backup_cells, result, float(deadline_h), planned)
    cps = affected_sites(result, result.coordination_points)
    cp_hit, cp_counted = _cells_at(cp_cells, result, float(deadline_h), cps)
    planned_group = np.array([site_group.get(p, "") for p in planned], dtype=object)
    cp_group = np.array([site_group.get(s, "") for s in cps], dtype=object)
    column = {c: i for i, c in enumerate(f.municipalities)}
    members: dict[str, list[str]] = {}
    for code, group in group_of.items():
        members.setdefault(group, []).append(code)
    out: dict[str, dict[str, Any]] = {}
    for group in sorted(members):
        codes = members[group]
        mine = [column[c] for c in codes if c in column]
        mine_p = planned_group == group
        mine_c = cp_group == group
        reach = reach_full = None
        dark = 0.0
        if row is not None and mine:
            off = out_now[row, mine]
            residents = dark = float((f.residents[mine] * off).sum())
            if residents > 0:
                reach = float((f.in_reach[row, mine] * off).sum()) / residents
                reach_full = float((f.in_reach_operational[row, mine] * off).sum()) / residents
        danger = int(danger_by.get(group, 0))
        entry: dict[str, Any] = {}
        if municipalities:
            entry["municipalities"] = len(codes)
            entry["affected_municipalities"] = sum(c in result.grid.restored_at for c in codes)
        entry.update({
            "residents_affected": round(float(sum(
                f.residents[i] for i in mine if f.municipalities[i] in result.grid.restored_at
            ))),
            "residents_without_power": round(dark),
            "local_points_planned": int(mine_p.sum()),
            "norm_72h_share": rounded(
                cell_share(norm_hit[:, mine_p], norm_counted[:, mine_p], at).iloc[0]),
            "norm_72h_points": int((norm_hit[:, mine_p] & norm_counted[:, mine_p]).sum()),
            "points_without_grid": int(norm_counted[:, mine_p].sum()),
            "coordination_points_functional_share": rounded(
                cell_share(cp_hit[:, mine_c], cp_counted[:, mine_c], at).iloc[0]),
            "within_reach_share": None if reach is None else round(reach, 4),
            "within_reach_operational_share": (None if reach_full is None
                                               else round(reach_full, 4)),
            "vulnerable_in_danger": danger,
            "vulnerable_reached_in_time_share": (
                round(int(reached_by.get(group, 0)) / danger, 4) if danger else None),
            "vulnerable_harmed": int(harmed_by.get(group, 0)),
        })
        out[group] = entry
    return out
