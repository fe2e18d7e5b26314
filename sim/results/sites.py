"""Results per site, with names: which fire stations and buildings were without power.

One row per fire station and per candidate building of the run's region, so that
"which stations need backup power" is a sorted table (``sites.csv`` and the
``site_results`` layer of ``region.gpkg``). Hours are whole hours of the run
(``sim.results.shortfall.cause_hours``):

- ``hours_grid_off``: its municipality had no grid;
- ``hours_without_power``: no power at all (grid off and no generator running);
- ``hours_operational``: for a planned local point, open with power from a
  generator while the grid was off (the 72-hour norm's measure); for a
  coordination point, functioning while the grid was off; empty for the others;
- ``first_operational_h``: the first such hour (empty: never);
- ``main_cause``: the cause of most of its hours short of operational (ties by the
  causes' precedence), with ``main_cause_hours``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from sim.geo.load import RegionData
from sim.model.engine import ModelResult
from sim.results.points import grid_off
from sim.results.records import latest
from sim.results.shortfall import CAUSES, NONE, cause_hours, site_causes

COLUMNS = ("id", "name", "kind", "planned", "municipality", "region", "has_backup_power",
           "hours_grid_off", "hours_without_power", "hours_operational",
           "first_operational_h", "main_cause", "main_cause_hours")


def _main_cause(causes: np.ndarray) -> tuple[list[str | None], list[int]]:
    """Per column of [hour, site] cause indices: the commonest cause and its hours."""
    names: list[str | None] = []
    hours: list[int] = []
    for k in range(causes.shape[1]):
        col = causes[:, k]
        counts = np.bincount(col[col != NONE].astype(np.int64), minlength=len(CAUSES))
        top = int(counts.argmax())  # the first of equal counts: the higher precedence
        names.append(CAUSES[top] if counts[top] else None)
        hours.append(int(counts[top]))
    return names, hours


def site_results(result: ModelResult, region: RegionData) -> gpd.GeoDataFrame:
    """Per fire station and candidate building: power and operational hours, named."""
    at = cause_hours(result)
    fs = region.fire_stations
    sp = region.support_point_candidates
    frames = []
    for layer in (fs, sp):
        frames.append(gpd.GeoDataFrame({
            "id": layer["id"].astype(str).to_numpy(), "name": layer["name"].astype(str),
            "municipality": layer["municipality"].astype(str).to_numpy(),
            "region": layer["region"].astype(str).to_numpy(),
            "has_backup_power": layer["has_backup_power"].astype(bool).to_numpy(),
        }, geometry=layer.geometry.to_numpy(), crs=layer.crs))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=fs.crs)
    ids = out["id"].tolist()
    out["kind"] = [result.site_roles.get(s, "") for s in ids]
    planned = set(result.planned_points)
    out["planned"] = [s in planned for s in ids]
    off = grid_off(result, at, ids)
    source = latest(result.of_kind("site_power"), "detail", ids, at, "grid", "site").to_numpy()
    out["hours_grid_off"] = off.sum(axis=0)
    out["hours_without_power"] = (off & (source == "none")).sum(axis=0)
    operational = np.full(len(ids), np.nan)
    first = np.full(len(ids), np.nan)
    main: list[str | None] = [None] * len(ids)
    main_hours = np.zeros(len(ids), dtype=np.int64)
    position = {s: i for i, s in enumerate(ids)}
    for site_ids, causes, counted in site_causes(result).values():
        cols = np.array([position[s] for s in site_ids], dtype=np.int64)
        ok = counted & (causes == NONE)
        operational[cols] = ok.sum(axis=0)
        any_ok = ok.any(axis=0)
        first[cols] = np.where(any_ok, at[ok.argmax(axis=0)], np.nan)
        names, hours = _main_cause(causes)
        for j, c in enumerate(cols):
            main[c] = names[j]
        main_hours[cols] = hours
    out["hours_operational"] = operational
    out["first_operational_h"] = first
    out["main_cause"] = main
    out["main_cause_hours"] = main_hours
    out = out.sort_values(["hours_without_power", "kind", "id"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
    return out[[*COLUMNS, "geometry"]]
