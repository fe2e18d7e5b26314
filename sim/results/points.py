"""Local points and coordination points over time: the shares, the 72-hour norm, stand-down.

Definitions (also in the README):

- *operational*: a planned local point open with power (``open_full``), from any
  source; *open*: with or without power;
- *the 72-hour norm* (``norm_72h``): planned local points operational at 72 h on
  backup power (their own generator or a mobile one) while their municipality
  still has no grid, as a share of the planned points without grid then;
- points that have *stood down* after the nafase (the recovery phase) are left
  out of every share from then on; where all have, the share is undefined
  (NaN, ``null`` in ``summary.json``), so a curve ends instead of dropping to 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: reading results needs no model
    from sim.model.engine import ModelResult
from sim.results.records import (
    affected_sites,
    at_hours,
    every_6h,
    latest_of,
    rounded,
    site_state,
)

#: What the point states mean for the shares.
OPEN_STATES = ("open_full", "open_reduced")


#: Power sources that are the site's own or brought to it (not the grid).
BACKUP_SOURCES = ("fixed", "mobile")


def point_states(result: ModelResult, at: np.ndarray) -> pd.DataFrame:
    """[hour, planned local point]: its state (``closed`` before the first record)."""
    return latest_of(result, "point_state", "detail", result.planned_points, at, "closed")


def cell_share(hit: np.ndarray, counted: np.ndarray, at: np.ndarray) -> pd.Series:
    """Per hour: the share of the ``counted`` cells that ``hit``; NaN where none is counted."""
    n = counted.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, (hit & counted).sum(axis=1) / np.maximum(n, 1), np.nan)
    return pd.Series(share, index=pd.Index(at, name="hour"))


def point_shares(result: ModelResult, at: np.ndarray) -> pd.DataFrame:
    """Share of planned local points open with power, and open at all, at each time.

    Points that have stood down after the nafase are left out; where all have, the
    shares are undefined (NaN): the curve ends there.
    """
    if not result.planned_points:
        return pd.DataFrame({"open_full": np.nan, "open": np.nan},
                            index=pd.Index(at, name="hour"))
    state = point_states(result, at).to_numpy()
    active = state != "stood_down"
    return pd.DataFrame({"open_full": cell_share(state == "open_full", active, at),
                         "open": cell_share(np.isin(state, OPEN_STATES), active, at)})


def backup_share(result: ModelResult, at: np.ndarray) -> pd.Series:
    """The 72-hour norm's share at each time: planned local points open on a generator.

    Open with power from a generator (their own or a mobile one), of those planned
    points whose municipality has no grid then.

    Undefined (NaN) where no planned point is without the grid.
    """
    hit, counted = backup_cells(result, at, result.planned_points)
    return cell_share(hit, counted, at)


def _memo(result: ModelResult, name: str, at: np.ndarray, ids: Sequence[str],
          make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """``make()`` once per result, table and grid of times and ids (read only after)."""
    key = (name, np.asarray(at, float).tobytes(), tuple(ids))
    if key not in result.memo:
        cells = make()
        for array in cells:
            array.flags.writeable = False
        result.memo[key] = cells
    return result.memo[key]


def backup_cells(result: ModelResult, at: np.ndarray,
                 ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """[time, point] for the 72-hour norm: on backup power, and counted.

    Counted: the grid is off there and the point is not stood down. Shares per group
    of points are column sums of the two.
    """
    return _memo(result, "backup", at, ids, lambda: _backup_cells(result, at, list(ids)))


def grid_off(result: ModelResult, at: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """[time, site]: whether the site's municipality is without grid power."""
    codes = np.array([result.site_municipality[s] for s in ids], dtype=object)
    off = np.zeros((len(at), len(codes)), dtype=bool)
    for code in set(codes):
        if code in result.grid.timelines:
            off[:, codes == code] = ~result.grid.timelines[code].values_at(at)[:, None]
    return off


def _backup_cells(result: ModelResult, at: np.ndarray,
                  ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        empty = np.zeros((len(at), 0), dtype=bool)
        return empty, empty
    state = latest_of(result, "point_state", "detail", ids, at, "closed").to_numpy()
    source = latest_of(result, "site_power", "detail", ids, at, "grid").to_numpy()
    counted = grid_off(result, at, ids) & (state != "stood_down")
    return (state == "open_full") & np.isin(source, BACKUP_SOURCES), counted


def first_operational_on_backup(result: ModelResult) -> pd.Series:
    """Per planned local point: the first time it was open with power from a generator."""
    ids = result.planned_points
    out = pd.Series(np.inf, index=pd.Index(ids, dtype=object))
    ev = result.of_kind("point_state", "site_power")
    ev = ev[ev["site"].isin(ids)].sort_values(["site", "time"], kind="stable")
    if ev.empty:
        return out
    is_state = (ev["kind"] == "point_state").to_numpy()
    detail = ev["detail"].to_numpy(dtype=object)
    frame = pd.DataFrame({"site": ev["site"].to_numpy(), "time": ev["time"].to_numpy(),
                          "state": np.where(is_state, detail, None),
                          "source": np.where(is_state, None, detail)})
    # The state and the power source in force after each record, per point.
    held = frame.groupby("site", sort=False)[["state", "source"]].ffill()
    hit = (held["state"] == "open_full") & held["source"].isin(BACKUP_SOURCES)
    first = frame.loc[hit.to_numpy(), ["site", "time"]].groupby("site")["time"].min()
    out.loc[first.index] = first.to_numpy()
    return out


def cp_functional_share(result: ModelResult, at: np.ndarray) -> pd.Series:
    """Share of coordination points in affected municipalities functioning at each time.

    A point that has stood down after the nafase is left out from then on.
    """
    ids = affected_sites(result, result.coordination_points)
    if not ids:
        return pd.Series(np.nan, index=pd.Index(at, name="hour"))
    return cell_share(*cp_cells(result, at, ids), at)


def cp_cells(result: ModelResult, at: np.ndarray,
             ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """[time, coordination point]: functioning, and counted (not stood down)."""
    return _memo(result, "cp", at, ids, lambda: _cp_cells(result, at, list(ids)))


def _cp_cells(result: ModelResult, at: np.ndarray,
              ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    functional = site_state(result, "cp_functional", ids, at, initial=0.0).to_numpy() == 1.0
    down = result.of_kind("cp_stood_down").groupby("site")["time"].min()
    until = down.reindex(ids).fillna(np.inf).to_numpy()
    active = np.asarray(at, float)[:, None] < until[None, :]
    return functional, active


def points_indicators(result: ModelResult, at: np.ndarray,
                      deadline_h: float = 72.0) -> dict[str, Any]:
    """Local points operational over time, the 72-hour norm and when all were operational."""
    shares = point_shares(result, at)
    states = result.of_kind("point_state")
    full = states[states["detail"] == "open_full"]
    first_full = full.groupby("site")["time"].min()
    planned = result.planned_points
    all_open = (round(float(first_full.max()), 3)
                if planned and set(first_full.index) >= set(planned) else None)
    on_backup = first_operational_on_backup(result)
    backup = backup_share(result, at)
    deadline = float(deadline_h)
    norm = (backup.loc[[deadline]] if deadline in backup.index  # a row of the same cells
            else backup_share(result, np.array([deadline])))
    state = point_states(result, np.array([deadline])).to_numpy()[0]
    grid = result.grid.timelines
    off = [not grid[result.site_municipality[s]].value_at(deadline) for s in planned]
    without = int(sum(o and st != "stood_down" for o, st in zip(off, state, strict=True)))
    cp = cp_functional_share(result, at)
    return {
        "planned": len(planned),
        "norm_72h": {
            "definition": f"planned local points operational at {deadline:g} h on backup "
                          "power, while the grid is still off (share of those without grid)",
            "share": rounded(norm.iloc[0]),
            "points_without_grid": without,
            "operational_on_backup": round(float(norm.iloc[0]) * without)
            if without else 0,
        },
        "operational_on_backup_share": {"at_h": at_hours(backup), "every_6h": every_6h(backup)},
        "operational_on_backup_ever": int(np.isfinite(on_backup).sum()),
        "hours_until_all_operational_on_backup": (
            round(float(on_backup.max()), 3) if planned and np.isfinite(on_backup).all()
            else None),
        "operational_share": {"at_h": at_hours(shares["open_full"]),
                              "every_6h": every_6h(shares["open_full"])},
        "open_any_share": {"at_h": at_hours(shares["open"])},
        "hours_until_all_operational": all_open,
        "coordination_points_functional_share": {"at_h": at_hours(cp),
                                                 "every_6h": every_6h(cp)},
    }
