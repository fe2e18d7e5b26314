"""Indicators of help from outside the affected area (``sim.model.aid``'s events).

Per resource (generators, fuel trucks, fire crews, relief teams) and per region:
units requested (and withdrawn again), granted and arrived, and the wait from
request to arrival; per source, the units that arrived; the hours outside
generators stood connected at sites, as a share of all mobile-generator hours;
and the hours crews and teams from outside worked at posts, as a share of all
staff hours. Apart from the LOCC's units, the grid operator's own generators on
transformer houses: per region the generator-hours, the peak residents re-powered
and the residents-hours re-powered.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.model.aid import FIRE_CREW, GENERATOR, PREFIX, RELIEF_TEAM, STAFF_KIND, TRUCK
from sim.model.engine import ModelResult
from sim.model.grid_operator import SOURCE as GRID_OPERATOR
from sim.model.grid_operator import TRANSFORMER
from sim.results.records import describe, fields, intervals

#: What a region can ask for from outside, and the grid operator's own generators.
RESOURCES = (GENERATOR, TRUCK, FIRE_CREW, RELIEF_TEAM, TRANSFORMER)
KINDS = ("aid_requested", "aid_withdrawn", "aid_granted", "aid_arrived", "aid_released")


def aid_events(result: ModelResult) -> pd.DataFrame:
    """The aid events with ``request``, ``resource``, ``region``, ``source`` and ``unit``."""
    return aid_columns(result.of_kind(*KINDS))


def aid_columns(events: pd.DataFrame) -> pd.DataFrame:
    """The aid events of an event log, their detail split into named columns."""
    frame = events[events["kind"].isin(KINDS)].copy()
    names = ("request", "resource", "region", "source", "unit")
    for name, values in zip(names, fields(frame["detail"], 0, 1, 2, 3, 4), strict=True):
        frame[name] = values
    return frame


def _counts(frame: pd.DataFrame) -> dict[str, Any]:
    kind = frame["kind"]
    arrived = frame[kind == "aid_arrived"]
    return {
        "requested": int((kind == "aid_requested").sum()),
        "withdrawn": int((kind == "aid_withdrawn").sum()),
        "granted": int((kind == "aid_granted").sum()),
        "arrived": len(arrived),
        "released": int((kind == "aid_released").sum()),
        "wait_h": describe(arrived["value"].astype(float)),
    }


def mobile_hours(result: ModelResult) -> dict[str, float]:
    """Hours mobile generators stood connected at sites: own units and units from outside."""
    frame = result.of_kind("mobile_arrived", "mobile_released")
    own = outside = 0.0
    for gen, _site, a, b in intervals(frame, ("mobile_arrived",), ("mobile_released",),
                                      "detail", result.horizon_h):
        if gen.startswith(PREFIX):
            outside += b - a
        else:
            own += b - a
    return {"own": own, "outside": outside}


def generator_waits(result: ModelResult) -> pd.Series:
    """Hours each request for a mobile generator waited, counting those never met.

    A request is met when a unit connects at the site; one never met waits until the
    site's grid is back for good or the run ends. (The mean over met requests alone
    would favour fewer units: with more, sites that would never get one are served
    late instead of not at all.)
    """
    asked = result.of_kind("mobile_requested")
    connected = result.of_kind("mobile_arrived")
    when: dict[str, list[float]] = {}
    for site, t in zip(connected["site"], connected["time"], strict=True):
        when.setdefault(str(site), []).append(float(t))
    waits = []
    for site, code, t in zip(asked["site"], asked["municipality"], asked["time"], strict=True):
        later = [c for c in when.get(str(site), []) if c >= t]
        end = min(later) if later else min(result.grid.restored_at.get(str(code), math.inf),
                                           result.horizon_h)
        waits.append(max(0.0, end - float(t)))
    return pd.Series(waits, dtype=float)


def staff_hours(result: ModelResult) -> dict[str, float]:
    """Hours worked at posts: by own staff and by crews and teams from outside."""
    shifts = result.of_kind("shift_end")
    kinds = fields(shifts["detail"], 1)[0]
    outside = np.isin(kinds, list(STAFF_KIND.values()))
    hours = shifts["value"].to_numpy(dtype=float)
    return {"own": float(hours[~outside].sum()), "outside": float(hours[outside].sum())}


def repowered_series(result: ModelResult) -> pd.DataFrame:
    """Residents on the grid operator's generators: time, municipality, region, residents.

    One row per change; a municipality's value holds until its next row.
    """
    frame = result.of_kind("repowered")
    return pd.DataFrame({"time": frame["time"].to_numpy(float),
                         "municipality": frame["municipality"].astype(str).to_numpy(),
                         "region": frame["detail"].astype(str).to_numpy(),
                         "residents": frame["value"].to_numpy(float)})


def _repowered(rows: pd.DataFrame, horizon: float) -> tuple[float, float]:
    """(peak residents re-powered at once, residents-hours) of one region's changes."""
    now: dict[str, float] = {}
    peak = hours = 0.0
    times = rows["time"].to_numpy()
    for i, (t, code, people) in enumerate(zip(times, rows["municipality"], rows["residents"],
                                              strict=True)):
        now[code] = people
        if i + 1 == len(rows) or times[i + 1] > t:  # every change at this hour is in
            peak = max(peak, sum(now.values()))
            hours += sum(now.values()) * (min(times[i + 1], horizon) - t
                                          if i + 1 < len(rows) else horizon - t)
    return peak, hours


def grid_operator_indicators(result: ModelResult) -> dict[str, Any]:
    """The grid operator's generators on transformer houses, in all and per region."""
    frame = aid_events(result)
    mine = frame[frame["source"] == GRID_OPERATOR]
    arrived = mine[mine["kind"] == "aid_arrived"]
    series = repowered_series(result)
    horizon = result.horizon_h

    def block(units: pd.DataFrame, rows: pd.DataFrame) -> dict[str, Any]:
        stood = sum(b - a for *_, a, b in intervals(
            units.assign(key=units["request"]), ("aid_arrived",), ("aid_released",), "key",
            horizon))
        peak, hours = _repowered(rows, horizon)
        return {"placed": int((units["kind"] == "aid_arrived").sum()),
                "generator_hours": round(stood, 2),
                "peak_residents_repowered": round(peak),
                "residents_hours_repowered": round(hours)}

    out = block(mine, series)  # the peak in all: of the sum over every region at once
    out["first_arrival_h"] = round(float(arrived["time"].min()), 4) if len(arrived) else None
    out["by_region"] = {str(region): block(mine[mine["region"] == region],
                                           series[series["region"] == region])
                        for region in sorted(set(mine["region"]))}
    return out


def aid_indicators(result: ModelResult) -> dict[str, Any]:
    """Help from outside: requests, grants, arrivals and waits; outside generator hours."""
    frame = aid_events(result)
    hours = mobile_hours(result)
    total = hours["own"] + hours["outside"]
    staff = staff_hours(result)
    staff_total = staff["own"] + staff["outside"]
    arrived = frame[frame["kind"] == "aid_arrived"]
    locc = arrived[arrived["source"] != GRID_OPERATOR]
    return {
        "by_resource": {r: _counts(frame[frame["resource"] == r]) for r in RESOURCES},
        "by_region": {str(region): {r: _counts(g[g["resource"] == r]) for r in RESOURCES}
                      for region, g in frame.groupby("region", sort=True)},
        "arrived_by_source": {str(s): int(n) for s, n in
                              arrived["source"].value_counts().sort_index().items()},
        "generator_request_wait_h": describe(generator_waits(result)),
        # the LOCC's units (the grid operator's first arrival is in its own block)
        "first_arrival_h": round(float(locc["time"].min()), 4) if len(locc) else None,
        "mobile_generator_hours": {"own": round(hours["own"], 3),
                                   "outside": round(hours["outside"], 3),
                                   "outside_share": round(hours["outside"] / total, 4)
                                   if total > 0 else 0.0},
        "staff_hours": {"own": round(staff["own"], 2), "outside": round(staff["outside"], 2),
                        "outside_share": round(staff["outside"] / staff_total, 4)
                        if staff_total > 0 else 0.0},
        "grid_operator": grid_operator_indicators(result),
    }
