"""Coverage gaps of a finished run, for researchers: hourly coverage and GIS layers.

Everything here reads a run folder (``events.csv``, ``region.gpkg``,
``config.yaml``, ``vulnerable_cases.csv``, ``timeseries_points.csv``), so it
works on any run without running the model again.

``coverage.gpkg`` (EPSG:28992) holds three layers:

Coverage counts the residents of affected municipalities (those that lose
grid power at some time in the run), as the model's indicators do, less, hour by
hour, the share the grid operator re-powered on transformer-house generators
(``repowered`` events: they have power); fields of demand points and
municipalities that were not affected are empty.

- ``demand_points``: ``id``, ``name``, ``municipality``, ``residents``,
  ``affected`` (1: in an affected municipality);
  ``hours_uncovered`` (hours in the run without an open local point within
  reach, walking or cycling, counted per resident share as in the model:
  1 = nobody covered for an hour; hours on a transformer-house generator do
  not count), ``hours_uncovered_operational`` (the same for
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

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from sim.geo.settings import synthetic_layers
from sim.geo.write import write_geopackage
from sim.model.vulnerable import REACHED
from sim.research.coverage import (
    OPEN,
    OPERATIONAL,
    Coverage,
    coverage,
    detail_at,
    functional_coordination_points,
    source_at,
    working_points,
)
from sim.results.folder import read_run_folder, read_table
from sim.results.records import latest

#: Hours at which municipalities' coverage is reported in the GIS layer.
REPORT_HOURS = (24, 48, 72)
#: Outcomes of a vulnerable case that count as reached before harm.


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
    region_series: pd.DataFrame
    #: Point layers placed by the geodata build, not real locations (see the manifest).
    synthetic: tuple[str, ...] = ()
    #: Where the municipal boundaries came from ("path#layer"; empty: not recorded).
    boundaries: str = ""

    @property
    def horizon_h(self) -> float:
        """The run's horizon in hours."""
        return float(self.config["horizon_h"])

    @property
    def hours(self) -> np.ndarray:
        """Whole hours from 0 to the horizon."""
        return np.arange(0.0, np.floor(self.horizon_h) + 1.0)

    @cached_property
    def activated(self) -> list[str]:
        """Local points activated in the run, in id order."""
        e = self.events
        return sorted(set(e.loc[e["kind"] == "point_activated", "site"]))

    @cached_property
    def affected(self) -> set[str]:
        """Municipalities (codes) that lose grid power at some time in the run."""
        e = self.events
        return set(e.loc[(e["kind"] == "grid") & (e["value"] == 0.0), "municipality"])

    @cached_property
    def coordination_points(self) -> list[str]:
        """Coordination points in affected municipalities (as the model's indicators count)."""
        fs = self.fire_stations
        chosen = fs["is_coordination_point"].astype(bool) & fs["municipality"].isin(self.affected)
        return sorted(fs.loc[chosen, "id"])

    @cached_property
    def affected_demand_points(self) -> gpd.GeoDataFrame:
        """The demand points in affected municipalities (coverage is counted over these)."""
        dp = self.demand_points
        return dp[dp["municipality"].isin(self.affected)]

    @property
    def deadline_h(self) -> float:
        """The hour by which every local point should be operational."""
        return float(self.config["support_points"]["operational_deadline_h"])

    @property
    def label(self) -> str:
        """The scenario name and seed, e.g. ``oost5_default, seed 20260115``."""
        return f"{self.config.get('name', self.folder.name)}, seed {self.config.get('seed')}"

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

    cases = read_table(folder, "vulnerable_cases")
    gpkg = folder / "region.gpkg"
    geodata = _manifest(folder).get("geodata", {})

    def layer(name: str) -> gpd.GeoDataFrame:
        return pyogrio.read_dataframe(gpkg, layer=name)

    return RunLayers(folder=folder, config=config, events=events, cases=cases,
                     municipalities=layer("municipalities"), regions=layer("regions"),
                     demand_points=layer("demand_points"), fire_stations=layer("fire_stations"),
                     candidates=layer("support_point_candidates"),
                     point_series=read_table(folder, "timeseries_points"),
                     region_series=read_table(folder, "timeseries_region"),
                     synthetic=tuple(synthetic_layers(geodata)),
                     boundaries=str(geodata.get("municipalities", "")))


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def grid_off(run: RunLayers, hours: np.ndarray) -> pd.DataFrame:
    """[hour, affected municipality]: 1 while its grid is off, else 0."""
    codes = sorted(run.affected)
    grid = run.events[run.events["kind"] == "grid"]
    on = latest(grid, "value", codes, hours, 1.0, "municipality")
    return (on == 0.0).astype(float)


def repowered_share(run: RunLayers, hours: np.ndarray) -> pd.DataFrame:
    """[hour, affected municipality]: the share of its residents the grid operator re-powered.

    From the ``repowered`` events (residents on transformer-house generators) over the
    municipality's population; 0 where none is.
    """
    codes = sorted(run.affected)
    rows = run.events[run.events["kind"] == "repowered"]
    people = latest(rows, "value", codes, hours, 0.0, "municipality")
    population = (run.municipalities.set_index("code")["population"].reindex(codes)
                  .to_numpy(float))
    return (people / np.maximum(population, 1.0)[None, :]).clip(upper=1.0)


def without_power(run: RunLayers, hours: np.ndarray) -> np.ndarray:
    """[hour, affected demand point]: the share of its residents counted, not re-powered."""
    dp = run.affected_demand_points
    share = repowered_share(run, hours).reindex(columns=dp["municipality"]).to_numpy(float)
    return 1.0 - share


def run_coverage(run: RunLayers, states: frozenset[str] = OPEN,
                 hours: np.ndarray | None = None) -> Coverage:
    """Hourly coverage of the affected demand points by local points in ``states``.

    Residents on the grid operator's transformer-house generators are not counted.
    """
    at = run.hours if hours is None else hours
    sp = run.candidates.set_index("id").loc[run.activated]
    working = working_points(run.events, list(sp.index), at, states)
    dp = run.affected_demand_points
    return coverage(dp.geometry.values, list(dp["id"]), dp["municipality"].to_numpy(),
                    dp["residents"].to_numpy(float), sp.geometry.values, working, at,
                    **run.access(), counted=without_power(run, at))


def cp_coverage(run: RunLayers, hours: np.ndarray | None = None) -> Coverage:
    """Hourly coverage of the affected demand points by functioning coordination points.

    Everyone counts by cycling distance.
    """
    at = run.hours if hours is None else hours
    cps = run.coordination_points
    fs = run.fire_stations.set_index("id").loc[cps]
    working = functional_coordination_points(run.events, cps, at)
    dp = run.affected_demand_points
    acc = run.access()
    return coverage(dp.geometry.values, list(dp["id"]), dp["municipality"].to_numpy(),
                    dp["residents"].to_numpy(float), fs.geometry.values, working, at,
                    walk_km=acc["cycle_km"], cycle_km=acc["cycle_km"], cycling_share=1.0,
                    detour=acc["detour"], counted=without_power(run, at))


def _first_full_hour(share: np.ndarray, residents: np.ndarray,
                     hours: np.ndarray) -> np.ndarray:
    """The first hour each demand point has everyone covered (NaN: never, or nobody lives there).

    ``share``: [hour, demand point], the share of its residents with a point in reach.
    """
    full = share >= 1.0 - 1e-9
    first = np.where(full.any(axis=0), hours[full.argmax(axis=0)], np.nan)
    return np.where(residents > 0, first, np.nan)


def _first_time(events: pd.DataFrame, kind: str, detail: tuple[str, ...] = ()) -> pd.Series:
    rows = events[events["kind"] == kind]
    if detail:
        rows = rows[rows["detail"].isin(detail)]
    return rows.groupby("site")["time"].min()


def gis_layers(run: RunLayers) -> dict[str, gpd.GeoDataFrame]:
    """The three coverage layers (see the module notes for the fields)."""
    hours = run.hours
    # Each whole hour counts until the next one; the last up to the horizon.
    step = np.diff(np.append(hours, run.horizon_h))[:, None]
    open_cov = run_coverage(run, OPEN, hours)
    full_cov = run_coverage(run, OPERATIONAL, hours)
    cp_cov = cp_coverage(run, hours)
    dp = run.demand_points
    hit = dp["municipality"].isin(run.affected).to_numpy()
    res = dp["residents"].to_numpy(float)[hit]

    def on_all(values: np.ndarray) -> np.ndarray:
        """Values of the affected demand points, spread over all (empty: not affected)."""
        out = np.full(len(dp), np.nan)
        out[hit] = values
        return out

    def hours_short(c: Coverage) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            short = np.where(res > 0, (c.uncovered * step).sum(axis=0) / res, 0.0)
        return on_all(np.round(short, 3))

    demand = gpd.GeoDataFrame({
        "id": dp["id"], "name": dp["name"], "municipality": dp["municipality"],
        "residents": dp["residents"].astype(int), "affected": hit,
        "hours_uncovered": hours_short(open_cov),
        "hours_uncovered_operational": hours_short(full_cov),
        "first_hour_covered": on_all(_first_full_hour(open_cov.share, res, hours)),
        "first_hour_covered_operational": on_all(_first_full_hour(full_cov.share, res,
                                                                  hours)),
        "hours_without_cp": hours_short(cp_cov),
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
        for h in REPORT_HOURS:  # empty after the run's end or where it was not affected
            share = by[by["hour"] == h].set_index("group")["covered_share"]
            out[f"{label}_{h}"] = np.round(out["code"].map(share).to_numpy(float), 4)
    cases = vulnerable_not_reached(run)
    out["vulnerable_cases"] = cases["cases"].to_numpy()
    out["vulnerable_in_danger"] = cases["in_danger"].to_numpy()
    out["vulnerable_harmed"] = cases["harmed"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["vulnerable_reached_share"] = np.round(
            (cases["in_danger"] - cases["not_reached"]).to_numpy()
            / cases["in_danger"].replace(0, np.nan).to_numpy(), 4)
    municipalities = gpd.GeoDataFrame(out, geometry=m.geometry.values, crs=m.crs)
    return {"demand_points": demand, "support_points": points,
            "municipalities": municipalities}


def write_gis(run: RunLayers, path: Path) -> dict[str, gpd.GeoDataFrame]:
    """Write the coverage layers to a GeoPackage atomically; return them."""
    layers = gis_layers(run)
    write_geopackage(layers, Path(path))
    return layers


#: Status of a local point at an hour, in legend order, with its plain words.
POINT_STATUS: dict[str, str] = {
    "open_full": "open, with power",
    "open_reduced": "open, reduced (no power)",
    "opening": "activated, opening",
    "closed": "closed again",
    "stood_down": "stood down (nafase over)",
    "never_opened": "activated, never opened",
    "not_activated": "not activated",
}
#: Power state of a coordination point, in legend order, with its plain words.
CP_POWER: dict[str, str] = {
    "grid": "grid power",
    "fixed": "own generator",
    "mobile": "mobile generator",
    "none": "no power",
}


def point_status(run: RunLayers, hours: np.ndarray) -> pd.DataFrame:
    """[hour, candidate site]: the status of every local point (keys of ``POINT_STATUS``).

    Opening: activated and not yet open; closed: open before, not now (closed or
    out of supplies); stood down: handed over after the nafase; never opened:
    activated, but the run never opens it.
    """
    e = run.events
    ids = list(run.candidates["id"])
    at = np.asarray(hours, float)[:, None]
    state = detail_at(e, "point_state", ids, np.asarray(hours, float)).to_numpy()
    activated = _first_time(e, "point_activated").reindex(ids).to_numpy(float)[None, :]
    opened = _first_time(e, "point_state", ("open_full", "open_reduced")).reindex(ids)
    first_open = opened.to_numpy(float)[None, :]
    out = np.full(state.shape, "not_activated", dtype=object)
    active = activated <= at
    out = np.where(active & np.isnan(first_open), "never_opened", out)
    out = np.where(active & (first_open > at), "opening", out)
    out = np.where(active & (first_open <= at), "closed", out)
    out = np.where(np.isin(state, ["open_full", "open_reduced", "stood_down"]), state, out)
    return pd.DataFrame(out, index=pd.Index(hours, name="hour"), columns=ids)


def cp_power(run: RunLayers, hours: np.ndarray) -> pd.DataFrame:
    """[hour, coordination point]: its power source (keys of ``CP_POWER``)."""
    return source_at(run.events, run.coordination_points, np.asarray(hours, float))


def municipal_coverage(cov: Coverage) -> pd.DataFrame:
    """Residents, covered and uncovered per municipality and hour (``Coverage.by``)."""
    return cov.by(cov.municipality).rename(columns={"group": "municipality"})


def vulnerable_not_reached(run: RunLayers) -> pd.DataFrame:
    """Per municipality (in layer order): counts of vulnerable cases.

    Columns: ``cases``; ``in_danger``; ``not_reached`` (in danger and not reached
    before harm); ``harmed``.
    """
    codes = run.municipalities["code"]
    c = run.cases
    if c.empty:
        zeros = np.zeros(len(codes), dtype=int)
        return pd.DataFrame({"municipality": codes, "cases": zeros, "in_danger": zeros,
                             "not_reached": zeros, "harmed": zeros})
    danger = c[c["in_danger"].astype(bool)]

    def count(rows: pd.DataFrame) -> np.ndarray:
        return codes.map(rows.groupby("municipality").size()).fillna(0).astype(int).to_numpy()

    return pd.DataFrame({"municipality": codes, "cases": count(c), "in_danger": count(danger),
                         "not_reached": count(danger[~danger["outcome"].isin(REACHED)]),
                         "harmed": count(c[c["outcome"] == "harmed"])})


def vulnerable_reached_over_time(run: RunLayers, hours: np.ndarray) -> pd.DataFrame:
    """[hour, subgroup]: the share of cases in danger reached (before harm) by each hour."""
    c = run.cases
    if c.empty:
        return pd.DataFrame(index=pd.Index(hours, name="hour"))
    danger = c[c["in_danger"].astype(bool)]
    reached = danger["outcome"].isin(REACHED).to_numpy()
    when = np.where(reached, danger["reached_at"].to_numpy(float), np.inf)
    out = {}
    for group, rows in danger.groupby("group", sort=True).indices.items():
        times = np.sort(when[rows])
        out[str(group)] = np.searchsorted(times, hours, side="right") / len(rows)
    return pd.DataFrame(out, index=pd.Index(hours, name="hour"))


def _intervals(times: np.ndarray, values: np.ndarray, end: float) -> list[tuple[float, float, Any]]:
    """A step function's pieces (start, end, value), equal neighbours merged, up to ``end``."""
    pieces: list[tuple[float, float, Any]] = []
    for k, (t, v) in enumerate(zip(times, values, strict=True)):
        stop = float(times[k + 1]) if k + 1 < len(times) else end
        if stop <= t:
            continue
        if pieces and pieces[-1][2] == v and pieces[-1][1] >= t:
            pieces[-1] = (pieces[-1][0], stop, v)
        else:
            pieces.append((float(t), stop, v))
    return pieces


def activation_timeline(run: RunLayers, municipality: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The activation chain of each local point activated in a municipality.

    Returns the markers (``site``, ``event``: decision or key holder, ``time``)
    and the intervals (``site``, ``lane``: power, staff or open, ``start``,
    ``end``, ``state``: the power source; staffed or short; open_full or
    open_reduced), sites in order of activation.
    """
    e = run.events
    mine = e[(e["municipality"] == municipality)]
    activated = mine[mine["kind"] == "point_activated"].groupby("site")["time"].min()
    sites = list(activated.sort_values(kind="stable").index)
    markers = []
    for event, kind in (("decision", "point_activated"), ("key holder", "key_holder")):
        first = mine[mine["kind"] == kind].groupby("site")["time"].min()
        markers += [{"site": s, "event": event, "time": float(first[s])}
                    for s in sites if s in first.index]
    end = run.horizon_h
    rows = []
    by_kind = {kind: sub.groupby("site") for kind, sub in mine.groupby("kind")}

    def records(kind: str, site: str) -> pd.DataFrame:
        groups = by_kind.get(kind)
        if groups is None or site not in groups.groups:
            return pd.DataFrame(columns=e.columns)
        return groups.get_group(site)

    for s in sites:
        power = records("site_power", s)  # on the grid until a record says otherwise
        times = np.concatenate([[0.0], power["time"].to_numpy(float)])
        sources = np.concatenate([["grid"], power["detail"].to_numpy(str)])
        for a, b, v in _intervals(times, sources, end):
            if v != "none":
                rows.append({"site": s, "lane": "power", "start": a, "end": b, "state": v})
        staff = records("staff_on_duty", f"LP-{s}")
        required = staff["detail"].str.split(":").str[0].astype(float).to_numpy()
        enough = np.where(staff["value"].to_numpy(float) >= required, "staffed", "short")
        rows += [{"site": s, "lane": "staff", "start": a, "end": b, "state": v}
                 for a, b, v in _intervals(staff["time"].to_numpy(), enough, end)
                 if v == "staffed"]
        state = records("point_state", s)
        rows += [{"site": s, "lane": "open", "start": a, "end": b, "state": v}
                 for a, b, v in _intervals(state["time"].to_numpy(), state["detail"].to_numpy(),
                                           end) if v in ("open_full", "open_reduced")]
    columns = ["site", "lane", "start", "end", "state"]
    return (pd.DataFrame(markers, columns=["site", "event", "time"]),
            pd.DataFrame(rows, columns=columns))
