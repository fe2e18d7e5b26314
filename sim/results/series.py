"""The run's hourly time series (``timeseries_*.csv``): pure functions of its records."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.model.engine import ModelResult
from sim.model.flows import POINT_COLUMNS
from sim.params.cascade import SERVICES
from sim.results.indicators import powered_share, reach_share
from sim.results.points import backup_share, cp_functional_share, point_shares
from sim.results.records import latest, slice_index


def municipality_series(result: ModelResult, at: np.ndarray) -> pd.DataFrame:
    """Long table: hour, municipality, grid and every service (1 working, 0 not)."""
    rows = []
    for code, timeline in sorted(result.grid.timelines.items()):
        cols = {"grid": np.array([timeline.value_at(t) for t in at], dtype=int)}
        for service in SERVICES:
            tl = result.cascade.timelines[(code, service)]
            cols[service] = np.array([tl.value_at(t) for t in at], dtype=int)
        frame = pd.DataFrame({"hour": at, "municipality": code, **cols})
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    f = result.flows
    if len(f.times):
        j = slice_index(result, at)
        col = {c: i for i, c in enumerate(f.municipalities)}
        share = f.in_reach / np.maximum(f.residents, 1.0)[None, :]
        idx = out["municipality"].map(col).to_numpy()
        rows_j = np.tile(j, len(out) // len(at))
        out["residents_within_reach_share"] = share[rows_j, idx]
        # The share on the grid operator's transformer-house generators (they have power).
        out["repowered_share"] = f.repowered[rows_j, idx]
        out["visits_arisen"] = f.arisen.sum(axis=2)[rows_j, idx]
        out["visits_no_point_in_reach"] = f.unmet_no_reach.sum(axis=2)[rows_j, idx]
    return out


def site_series(result: ModelResult, at: np.ndarray,
                names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Long table: hour, site, its name and municipality, role, power source, powered (1/0)."""
    ids = sorted(result.site_roles)
    wide = latest(result.of_kind("site_power"), "detail", ids, at, "grid", "site")
    long = wide.reset_index().melt(id_vars="hour", var_name="site", value_name="source")
    long["name"] = long["site"].map(names or {}).fillna("")
    long["municipality"] = long["site"].map(result.site_municipality)
    long["role"] = long["site"].map(result.site_roles)
    long["powered"] = (long["source"] != "none").astype(int)
    return long[["hour", "site", "name", "municipality", "role", "source", "powered"]]


def region_series(result: ModelResult, at: np.ndarray,
                  population: Mapping[str, int]) -> pd.DataFrame:
    """Hourly totals: powered shares, reach, visits, and residents without grid, power or phones.

    ``residents_without_grid_share``: in a municipality whose grid is off (the
    grid operator's transformer-house generators included);
    ``residents_without_power_share``: of those, the ones not on such a generator.
    """
    out = pd.DataFrame(index=pd.Index(at, name="hour"))
    out["coordination_points_powered_share"] = powered_share(
        result, ["coordination_point"], at).to_numpy()
    out["fire_stations_powered_share"] = powered_share(
        result, ["coordination_point", "fire_station"], at).to_numpy()
    out["coordination_points_functional_share"] = cp_functional_share(result, at).to_numpy()
    shares = point_shares(result, at)
    out["local_points_operational_share"] = shares["open_full"].to_numpy()
    out["local_points_operational_on_backup_share"] = backup_share(result, at).to_numpy()
    out["local_points_open_share"] = shares["open"].to_numpy()
    out["residents_within_reach_share"] = reach_share(result, at).to_numpy()
    f = result.flows
    if len(f.times):
        j = slice_index(result, at)
        col = {c: i for i, c in enumerate(POINT_COLUMNS)}
        sums = f.at_points.sum(axis=1)
        for name in ("arrived", "served", "turned_away", "no_supplies", "not_offered"):
            out[f"visits_{name}"] = sums[j, col[name]]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["mean_wait_h"] = np.where(sums[j, col["admitted"]] > 0, sums[j, col["wait_hours"]]
                                          / sums[j, col["admitted"]], 0.0)
        out["visits_no_point_in_reach"] = f.unmet_no_reach.sum(axis=(1, 2))[j]
    total = float(sum(population.values())) or 1.0
    rows = slice_index(result, at) if len(f.times) else None
    col_m = {c: i for i, c in enumerate(f.municipalities)}
    dark = np.zeros(len(at))  # without the grid, and not on a transformer-house generator
    for name, timeline_of in (("grid", lambda c: result.grid.timelines[c]),
                              ("mobile", lambda c: result.cascade.timelines[(c, "mobile")])):
        off = np.zeros(len(at))
        for code, pop in population.items():
            tl = timeline_of(code)
            here = pop * np.array([not tl.value_at(t) for t in at], dtype=float)
            off += here
            if name == "grid":
                on_unit = (f.repowered[rows, col_m[code]] if rows is not None and code in col_m
                           else 0.0)
                dark += here * (1.0 - on_unit)
        out[f"residents_without_{name}_share"] = off / total
    out["residents_without_power_share"] = dark / total
    return out.reset_index()
