"""Causes of shortfall: why a point was not operational, hour by hour.

Every *point-hour* in which a planned local point or a coordination point is
counted but not operational is given exactly one cause. Counted: its
municipality has no grid and it has not stood down after the nafase (the
recovery phase). Operational: a local point open with power from a generator
(the 72-hour norm's measure); a coordination point functioning (powered and
staffed to its minimum). Hours are the whole hours 0, 1, ..., horizon - 1, each
standing for the hour that follows.

The causes, in the fixed precedence used when several hold at once (the first
that holds is the cause):

1. ``not_decided``: the local point's activation order has not arrived yet;
2. ``key_holder``: activated, but nobody has opened the building yet;
3. ``no_generator``: no power, and the site has no generator of its own, no
   mobile unit connected and none on its way (none was free, or none asked);
4. ``generator_broken``: no power, its generator broke down or failed to start
   and is not repaired yet;
5. ``tank_dry``: no power, a generator there ran dry and no fuel has come since;
6. ``mobile_on_its_way``: no power, a mobile unit is travelling to it;
7. ``too_few_staff``: fewer staff on duty than the minimum (or too few
   professionals among them);
8. ``setting_up``: the building is being set up;
9. ``no_supplies``: no goods to hand out (the first delivery has not come, or
   the stock ran out);
10. ``other``: none of these (a generator starting, a point between states in
    the hour); reported so the causes always add up to the shortfall.

Coordination points have no activation order, key or supplies: only the power
causes, ``too_few_staff`` and ``other`` apply to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.results.points import BACKUP_SOURCES, backup_cells, cp_cells, grid_off
from sim.results.records import affected_sites, fields, hours, latest, latest_of

if TYPE_CHECKING:  # annotations only: reading results needs no model
    from sim.model.engine import ModelResult

#: The causes, in their precedence (see the module docstring).
CAUSES = ("not_decided", "key_holder", "no_generator", "generator_broken", "tank_dry",
          "mobile_on_its_way", "too_few_staff", "setting_up", "no_supplies", "other")
#: What each cause means, in words for tables, figures and the headline.
CAUSE_TEXT = {
    "not_decided": "not yet decided to open",
    "key_holder": "waiting for the key holder",
    "no_generator": "no generator",
    "generator_broken": "generator broken down",
    "tank_dry": "tank dry, waiting for fuel",
    "mobile_on_its_way": "mobile generator on its way",
    "too_few_staff": "too few staff",
    "setting_up": "being set up",
    "no_supplies": "no supplies to hand out",
    "other": "other (in between states)",
}
#: The kinds of point the causes are given for.
POINT_KINDS = ("local_point", "coordination_point")
NONE = -1


def cause_hours(result: ModelResult) -> np.ndarray:
    """The whole hours of the run, each standing for the hour that follows it."""
    return np.arange(0.0, np.floor(result.horizon_h - 1e-9) + 1.0)


def _since(result: ModelResult, kinds: Sequence[str], ids: Sequence[str],
           at: np.ndarray) -> np.ndarray:
    """[time, site]: whether a record of ``kinds`` came for the site at or before the time."""
    first = result.of_kind(*kinds).groupby("site")["time"].min()
    until = first.reindex(list(ids)).fillna(np.inf).to_numpy(float)
    return at[:, None] >= until[None, :]


def _held(result: ModelResult, on: Sequence[str], off: Sequence[str], ids: Sequence[str],
          at: np.ndarray) -> np.ndarray:
    """[time, site]: whether the site's latest record of ``on`` or ``off`` is an ``on`` one."""
    ev = result.of_kind(*on, *off)
    ev = ev.assign(flag=ev["kind"].isin(on).to_numpy(float))
    return latest(ev, "flag", ids, at, 0.0, "site").to_numpy() == 1.0


def _staffed(result: ModelResult, posts: Sequence[str], at: np.ndarray) -> np.ndarray:
    """[time, post]: staffed to the minimum (before a post's first record: not)."""
    duty = result.of_kind("staff_on_duty")
    ok = fields(duty["detail"], 3)[0].astype(float) if len(duty) else np.zeros(0)
    return latest(duty.assign(ok=ok), "ok", posts, at, 0.0, "site").to_numpy() == 1.0


def _power_causes(result: ModelResult, ids: Sequence[str],
                  at: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The power causes in precedence, each a [time, site] condition."""
    source = latest_of(result, "site_power", "detail", ids, at, "grid").to_numpy()
    unpowered = ~np.isin(source, ("grid", *BACKUP_SOURCES))
    fixed_sites = {site for site in result.generators.values() if site}
    has_fixed = np.array([s in fixed_sites for s in ids], dtype=bool)[None, :]
    broken = _held(result, ("generator_failed", "generator_start_failed"),
                   ("generator_repaired",), ids, at)
    dry = _held(result, ("generator_dry",), ("fuel_delivered",), ids, at)
    coming = _held(result, ("mobile_dispatched",), ("mobile_arrived", "mobile_aborted"), ids, at)
    present = _held(result, ("mobile_arrived",), ("mobile_released",), ids, at)
    return [
        ("no_generator", unpowered & ~has_fixed & ~present & ~coming),
        ("generator_broken", unpowered & broken),
        ("tank_dry", unpowered & dry),
        ("mobile_on_its_way", unpowered & coming),
    ]


def _assign(short: np.ndarray, conditions: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """[time, site]: the index in CAUSES of the first condition that holds.

    NONE where the site is not short; ``other`` where short and no condition holds.
    """
    out = np.full(short.shape, NONE, dtype=np.int8)
    left = short.copy()
    for name, condition in conditions:
        hit = left & condition
        out[hit] = CAUSES.index(name)
        left &= ~hit
    out[left] = CAUSES.index("other")
    return out


def local_point_causes(result: ModelResult, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[time, planned local point]: the cause index (NONE where not short), and counted."""
    ids = list(result.planned_points)
    if not ids:
        empty = np.zeros((len(at), 0))
        return empty.astype(np.int8), empty.astype(bool)
    operational, counted = backup_cells(result, at, ids)
    state = latest_of(result, "point_state", "detail", ids, at, "closed").to_numpy()
    supplied = _since(result, ("supplies_delivered",), ids, at) & (state != "out_of_supplies")
    conditions = [
        ("not_decided", ~_since(result, ("point_activated",), ids, at)),
        ("key_holder", ~_since(result, ("key_holder",), ids, at)),
        *_power_causes(result, ids, at),
        ("too_few_staff", ~_staffed(result, [f"LP-{s}" for s in ids], at)),
        ("setting_up", ~_since(result, ("point_set_up",), ids, at)),
        ("no_supplies", ~supplied),
    ]
    return _assign(counted & ~operational, conditions), counted


def coordination_point_causes(result: ModelResult,
                              at: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """[time, coordination point in an affected municipality]: cause index, counted, ids."""
    ids = affected_sites(result, result.coordination_points)
    if not ids:
        empty = np.zeros((len(at), 0))
        return empty.astype(np.int8), empty.astype(bool), ids
    functional, active = cp_cells(result, at, ids)
    counted = active & grid_off(result, at, ids)
    conditions = [*_power_causes(result, ids, at),
                  ("too_few_staff", ~_staffed(result, [f"CP-{s}" for s in ids], at))]
    return _assign(counted & ~functional, conditions), counted, ids


def site_causes(result: ModelResult) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """Per kind of point: its ids, the cause per [hour, point] and whether counted.

    Found on the reporting grid (whose cells the indicators share) and cut to the
    hours of :func:`cause_hours`; once per result.
    """
    key = ("causes",)
    if key not in result.memo:
        grid = hours(result.horizon_h)
        rows = np.isin(grid, cause_hours(result))
        lp, lp_counted = local_point_causes(result, grid)
        cp, cp_counted, cp_ids = coordination_point_causes(result, grid)
        result.memo[key] = {"local_point": (list(result.planned_points), lp[rows],
                                            lp_counted[rows]),
                            "coordination_point": (cp_ids, cp[rows], cp_counted[rows])}
    out: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = result.memo[key]
    return out


def shortfall_table(result: ModelResult, region_of: dict[str, str]) -> pd.DataFrame:
    """Point-hours not operational per safety region, kind of point and cause.

    One row per (region, kind, cause) with ``point_hours`` (each cell is one hour),
    ``counted_hours`` (the point-hours counted for that region and kind) and the
    ``share`` of those that were lost to the cause. Causes with no hours are left out.
    """
    rows = []
    for kind, (ids, causes, counted) in site_causes(result).items():
        regions = np.array([region_of[result.site_municipality[s]] for s in ids], dtype=object)
        for region in sorted(set(regions)):
            cols = regions == region
            sub = causes[:, cols]
            total = int(counted[:, cols].sum())
            hours = np.bincount(sub[sub >= 0].astype(np.int64), minlength=len(CAUSES))
            rows += [{"region": region, "kind": kind, "cause": cause,
                      "point_hours": int(hours[k]), "counted_hours": total,
                      "share": round(hours[k] / total, 4) if total else None}
                     for k, cause in enumerate(CAUSES) if hours[k]]
    return pd.DataFrame(rows, columns=["region", "kind", "cause", "point_hours",
                                       "counted_hours", "share"])


def shortfall_summary(table: pd.DataFrame) -> dict[str, object]:
    """For the summary: point-hours per cause per kind, in total and per region, ranked."""
    def ranked(frame: pd.DataFrame) -> dict[str, object]:
        out: dict[str, object] = {}
        for kind in POINT_KINDS:
            sub = frame[frame["kind"] == kind]
            hours = sub.groupby("cause")["point_hours"].sum().sort_values(
                ascending=False, kind="stable")
            counted = int(sub.drop_duplicates(["region"])["counted_hours"].sum())
            out[kind] = {
                "counted_point_hours": counted,
                "not_operational_point_hours": int(hours.sum()),
                "by_cause": {str(c): int(h) for c, h in hours.items()},
                "top_cause": str(hours.index[0]) if len(hours) else None,
            }
        return out

    return {"definition": "point-hours in which a point was counted (grid off, not stood "
                          "down) but not operational, each given one cause in a fixed "
                          "precedence (sim.results.shortfall)",
            "precedence": list(CAUSES),
            "total": ranked(table),
            "by_region": {str(r): ranked(g) for r, g in table.groupby("region", sort=True)}}
