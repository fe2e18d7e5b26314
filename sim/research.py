"""Coverage gaps of a finished run, for researchers: hourly coverage and GIS layers.

Everything here reads a run folder (``events.csv``, ``region.gpkg``,
``config.yaml``, ``vulnerable_cases.csv``, ``timeseries_points.csv``), so it
works on any run without running the model again.

``coverage.gpkg`` (EPSG:28992) holds three layers:

- ``demand_points``: ``id``, ``name``, ``municipality``, ``residents``;
  ``hours_uncovered`` (hours in the run without an open local point within
  reach, walking or cycling, counted per resident share as in the model:
  1 = nobody covered for an hour), ``hours_uncovered_operational`` (the same for
  operational points, with power), ``first_hour_covered`` and
  ``first_hour_covered_operational`` (the first whole hour with everyone
  covered; empty: never), ``hours_without_cp`` (hours without a functioning
  coordination point within cycling distance);
- ``support_points`` (the activated local points): ``id``, ``name``,
  ``municipality``, ``type``, ``capacity``, ``activated_h``, ``key_holder_h``,
  ``first_open_h``, ``first_operational_h`` (empty: never), ``hours_open``,
  ``hours_operational``, ``closed_for_good_h``, ``visits_served``;
- ``municipalities``: ``code``, ``name``, ``region``, ``population``,
  ``covered_share_24``/``_48``/``_72`` (residents with an open point in reach),
  ``operational_covered_share_24``/``_48``/``_72``, ``vulnerable_cases``,
  ``vulnerable_in_danger``, ``vulnerable_harmed``, ``vulnerable_reached_share``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from sim.coverage import (
    OPEN,
    OPERATIONAL,
    Coverage,
    coverage,
    functional_coordination_points,
    working_points,
)
from sim.geo.io import write_geopackage
from sim.io import read_run_folder

#: Hours at which municipalities' coverage is reported in the GIS layer.
REPORT_HOURS = (24, 48, 72)


@dataclass
class RunLayers:
    """A finished run, with its geodata, as the coverage tools need it."""

    folder: Path
    config: dict[str, Any]
    events: pd.DataFrame
    cases: pd.DataFrame
    municipalities: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    demand_points: gpd.GeoDataFrame
    fire_stations: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    point_series: pd.DataFrame

    @property
    def horizon_h(self) -> float:
        """The run's horizon in hours."""
        return float(self.config["horizon_h"])

    @property
    def hours(self) -> np.ndarray:
        """Whole hours from 0 to the horizon."""
        return np.arange(0.0, np.floor(self.horizon_h) + 1.0)

    @property
    def activated(self) -> list[str]:
        """Local points activated in the run, in id order."""
        e = self.events
        return sorted(set(e.loc[e["kind"] == "point_activated", "site"]))

    @property
    def coordination_points(self) -> list[str]:
        """Coordination points with records in the run (those in affected municipalities)."""
        e = self.events
        return sorted(set(e.loc[e["kind"] == "cp_functional", "site"]))

    def access(self) -> dict[str, float]:
        """Walking and cycling distance, cycling share and the detour factor of the run."""
        acc = self.config["population"]["access"]
        return {"walk_km": float(acc["walk_km"]), "cycle_km": float(acc["cycle_km"]),
                "cycling_share": float(acc["cycling_share"]),
                "detour": float(self.config["region"]["network"]["detour_factor"])}


def load_run_layers(folder: Path) -> RunLayers:
    """Read a run folder written by ``python -m sim``."""
    folder = Path(folder)
    config, events = read_run_folder(folder)
    cases_file = folder / "vulnerable_cases.csv"
    cases = pd.read_csv(cases_file) if cases_file.exists() else pd.DataFrame()
    series_file = folder / "timeseries_points.csv"
    series = pd.read_csv(series_file) if series_file.exists() else pd.DataFrame()
    gpkg = folder / "region.gpkg"

    def layer(name: str) -> gpd.GeoDataFrame:
        return pyogrio.read_dataframe(gpkg, layer=name)

    return RunLayers(folder=folder, config=config, events=events, cases=cases,
                     municipalities=layer("municipalities"), regions=layer("regions"),
                     demand_points=layer("demand_points"), fire_stations=layer("fire_stations"),
                     candidates=layer("support_point_candidates"), point_series=series)


def run_coverage(run: RunLayers, states: frozenset[str] = OPEN,
                 hours: np.ndarray | None = None) -> Coverage:
    """Hourly coverage of the demand points by local points in ``states``."""
    at = run.hours if hours is None else hours
    sp = run.candidates.set_index("id").loc[run.activated]
    working = working_points(run.events, list(sp.index), at, states)
    dp = run.demand_points
    return coverage(dp.geometry.values, list(dp["id"]), dp["municipality"].to_numpy(),
                    dp["residents"].to_numpy(float), sp.geometry.values, working, at,
                    **run.access())


def cp_coverage(run: RunLayers, hours: np.ndarray | None = None) -> Coverage:
    """Hourly coverage by functioning coordination points (all by cycling distance)."""
    at = run.hours if hours is None else hours
    cps = run.coordination_points
    fs = run.fire_stations.set_index("id").loc[cps]
    working = functional_coordination_points(run.events, cps, at)
    dp = run.demand_points
    acc = run.access()
    return coverage(dp.geometry.values, list(dp["id"]), dp["municipality"].to_numpy(),
                    dp["residents"].to_numpy(float), fs.geometry.values, working, at,
                    walk_km=acc["cycle_km"], cycle_km=acc["cycle_km"], cycling_share=1.0,
                    detour=acc["detour"])


def _first_full_hour(covered: np.ndarray, residents: np.ndarray,
                     hours: np.ndarray) -> np.ndarray:
    full = covered >= residents[None, :] - 1e-9
    first = np.where(full.any(axis=0), hours[full.argmax(axis=0)], np.nan)
    return first


def _first_time(events: pd.DataFrame, kind: str, detail: tuple[str, ...] = ()) -> pd.Series:
    rows = events[events["kind"] == kind]
    if detail:
        rows = rows[rows["detail"].isin(detail)]
    return rows.groupby("site")["time"].min()


def gis_layers(run: RunLayers) -> dict[str, gpd.GeoDataFrame]:
    """The three coverage layers (see the module notes for the fields)."""
    hours = run.hours
    step = np.diff(np.append(hours, hours[-1] + 1.0))[:, None]  # hour weights
    open_cov = run_coverage(run, OPEN, hours)
    full_cov = run_coverage(run, OPERATIONAL, hours)
    cp_cov = cp_coverage(run, hours)
    dp = run.demand_points
    res = dp["residents"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        def hours_short(c: Coverage) -> np.ndarray:
            return np.where(res > 0, (c.uncovered * step).sum(axis=0) / res, 0.0)

    demand = gpd.GeoDataFrame({
        "id": dp["id"], "name": dp["name"], "municipality": dp["municipality"],
        "residents": dp["residents"].astype(int),
        "hours_uncovered": np.round(hours_short(open_cov), 3),
        "hours_uncovered_operational": np.round(hours_short(full_cov), 3),
        "first_hour_covered": _first_full_hour(open_cov.covered, res, hours),
        "first_hour_covered_operational": _first_full_hour(full_cov.covered, res, hours),
        "hours_without_cp": np.round(hours_short(cp_cov), 3),
    }, geometry=dp.geometry.values, crs=dp.crs)

    e = run.events
    ids = run.activated
    sp = run.candidates.set_index("id").loc[ids]
    states = np.asarray(working_points(e, ids, hours, OPEN), dtype=float)
    operational = np.asarray(working_points(e, ids, hours, OPERATIONAL), dtype=float)
    served = (run.point_series.groupby("site")["served"].sum()
              if not run.point_series.empty else pd.Series(dtype=float))
    points = gpd.GeoDataFrame({
        "id": ids, "name": sp["name"].to_numpy(), "municipality": sp["municipality"].to_numpy(),
        "type": sp["type"].to_numpy(), "capacity": sp["capacity"].to_numpy(),
        "activated_h": _first_time(e, "point_activated").reindex(ids).to_numpy(),
        "key_holder_h": _first_time(e, "key_holder").reindex(ids).to_numpy(),
        "first_open_h": _first_time(e, "point_state", ("open_full", "open_reduced"))
        .reindex(ids).to_numpy(),
        "first_operational_h": _first_time(e, "point_state", ("open_full",))
        .reindex(ids).to_numpy(),
        "hours_open": (states * step).sum(axis=0),
        "hours_operational": (operational * step).sum(axis=0),
        "closed_for_good_h": _first_time(e, "point_closed").reindex(ids).to_numpy(),
        "visits_served": np.round(served.reindex(ids).fillna(0.0).to_numpy(), 1),
    }, geometry=sp.geometry.values, crs=run.candidates.crs)

    m = run.municipalities
    out = pd.DataFrame({"code": m["code"], "name": m["name"], "region": m["region"],
                        "population": m["population"]})
    for label, cov in (("covered_share", open_cov), ("operational_covered_share", full_cov)):
        by = cov.by(cov.municipality)
        for h in REPORT_HOURS:
            if h in set(by["hour"]):
                share = by[by["hour"] == h].set_index("group")["covered_share"]
                out[f"{label}_{h}"] = np.round(out["code"].map(share).to_numpy(float), 4)
    c = run.cases
    if not c.empty:
        grouped = c.groupby("municipality")
        danger = grouped["in_danger"].sum()
        reached = c[c["in_danger"] & c["outcome"].isin(["outreach", "neighbour", "self"])]
        out["vulnerable_cases"] = out["code"].map(grouped.size()).fillna(0).astype(int)
        out["vulnerable_in_danger"] = out["code"].map(danger).fillna(0).astype(int)
        out["vulnerable_harmed"] = out["code"].map(
            c[c["outcome"] == "harmed"].groupby("municipality").size()).fillna(0).astype(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["vulnerable_reached_share"] = np.round(
                out["code"].map(reached.groupby("municipality").size()).fillna(0)
                / out["vulnerable_in_danger"].replace(0, np.nan), 4)
    municipalities = gpd.GeoDataFrame(out, geometry=m.geometry.values, crs=m.crs)
    return {"demand_points": demand, "support_points": points,
            "municipalities": municipalities}


def write_gis(run: RunLayers, path: Path) -> dict[str, gpd.GeoDataFrame]:
    """Write the coverage layers to a GeoPackage atomically; return them."""
    layers = gis_layers(run)
    write_geopackage(layers, Path(path))
    return layers
