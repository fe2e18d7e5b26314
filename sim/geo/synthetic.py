"""Deterministic synthetic point layers inside real municipal boundaries.

The embedded geodata (``geodata/nl.gpkg``, built by ``geodata/build.py``) has the
real CBS/PDOK municipal and safety-region boundaries of 2025. Its point layers
are synthetic: population centres, fire stations and candidate support points
are placed by this module inside the real polygons, with counts and totals that
follow sourced figures (``BuildSettings`` and ``geodata/source/safety_regions.csv``),
not at their real addresses. The same settings always give the same layers:
every random draw comes from one named stream of one seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from sim.geo.schema import (
    DEMAND_POINTS,
    FIRE_STATIONS,
    MUNICIPALITIES,
    RD_NEW,
    REGIONS,
    SUPPORT_POINT_CANDIDATES,
    SUPPORT_POINT_TYPES,
)
from sim.geo.settings import BuildSettings, stations_per_region
from sim.mathutil import apportion
from sim.streams import Streams

Layers = dict[str, gpd.GeoDataFrame]


def build_layers(
    table: pd.DataFrame,
    boundaries: Mapping[str, BaseGeometry],
    settings: BuildSettings | None = None,
) -> Layers:
    """Build the five layers from the source table and the municipal polygons. Pure.

    ``boundaries``: CBS code to polygon in EPSG:28992 (the real municipal borders);
    the table is cut to the codes given.
    """
    s = settings or BuildSettings()
    unknown = sorted(set(boundaries) - set(table["cbs_code"]))
    if unknown:
        raise ValueError(f"boundaries for codes not in the source table: {unknown}")
    table = table[table["cbs_code"].isin(list(boundaries))].reset_index(drop=True)
    streams = Streams(s.seed)
    regions_in_table = sorted(table["region"].unique())
    for name in ("backup_power_share", "crew_per_region"):
        missing = set(regions_in_table) - set(getattr(s, name))
        if missing:
            raise ValueError(f"BuildSettings.{name} has no value for regions {sorted(missing)}")

    to_rd = Transformer.from_crs("EPSG:4326", RD_NEW, always_xy=True)
    x, y = to_rd.transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    centroids = [Point(round(a, 1), round(b, 1)) for a, b in zip(x, y, strict=True)]
    # In one canonical form (normalised multipolygons, as a GeoPackage stores them), so the
    # same polygons read back from a file place the same points.
    cells = [_canonical(boundaries[str(code)]) for code in table["cbs_code"]]
    municipalities = gpd.GeoDataFrame(
        {
            "code": table["cbs_code"],
            "name": table["municipality"],
            "region": table["region"],
            "population": table["population"].astype("int64"),
            "population_year": table["population_year"].astype("int64"),
        },
        geometry=cells,
        crs=RD_NEW,
    )
    stations_per_muni = _stations_per_municipality(table, s)
    demand = _demand_points(table, municipalities, centroids, stations_per_muni, s, streams)
    stations = _fire_stations(table, demand, stations_per_muni, s, streams)
    candidates = _support_point_candidates(table, demand, s, streams)
    regions = _regions(table, municipalities)
    return {
        MUNICIPALITIES.name: municipalities[[*MUNICIPALITIES.columns, "geometry"]],
        DEMAND_POINTS.name: demand,
        FIRE_STATIONS.name: stations,
        SUPPORT_POINT_CANDIDATES.name: candidates,
        REGIONS.name: regions,
    }


def _canonical(geometry: BaseGeometry) -> BaseGeometry:
    """A normalised multipolygon without a fixed precision model.

    Through WKB, as a file stores it: a geometry snapped with ``shapely.set_precision``
    keeps its grid, and buffers on it would round differently.
    """
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    return shapely.normalize(shapely.from_wkb(shapely.to_wkb(geometry)))


# --- population centres ------------------------------------------------------------------


def _stations_per_municipality(table: pd.DataFrame, s: BuildSettings) -> dict[str, int]:
    """At least one station per municipality; the rest by sqrt(population x area)."""
    out: dict[str, int] = {}
    totals = stations_per_region(table, s)
    for region, group in table.groupby("region", sort=True):
        total = totals[str(region)]
        if total < len(group):
            raise ValueError(
                f"stations_per_region[{region!r}] = {total}: must be at least the number of "
                f"municipalities in the region ({len(group)})"
            )
        weights = np.sqrt(group["population"].to_numpy(float) * group["area_km2"].to_numpy(float))
        extra = apportion(total - len(group), weights)
        out.update(
            {code: 1 + int(e) for code, e in zip(group["cbs_code"], extra, strict=True)}
        )
    return out


def _random_point_in(
    poly: BaseGeometry, rng: np.random.Generator, avoid: list[Point], spacing: float
) -> Point:
    """A uniform random point inside ``poly`` at least ``spacing`` from every point in ``avoid``."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    for attempt in range(2_000):
        p = Point(round(rng.uniform(minx, maxx)), round(rng.uniform(miny, maxy)))
        gap = spacing * (0.5 if attempt > 1_000 else 1.0)
        if poly.contains(p) and all(p.distance(q) >= gap for q in avoid):
            return p
    raise RuntimeError("could not place a point; the cell is too small for its centres")


def _district_spots(centre: Point, n: int, inner: BaseGeometry, others: list[Point],
                    spacing: float) -> list[Point]:
    """``n`` district centres around a town centre, deterministically.

    The nearest points of a hexagonal grid inside ``inner``, clear of the other
    centres. The grid is ``spacing`` apart, closer (by steps of a fifth) where the
    municipality is too small for it.
    """
    if n <= 0:
        return []
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    reach = max(abs(minx - centre.x), abs(maxx - centre.x), abs(miny - centre.y),
                abs(maxy - centre.y))
    while spacing >= 100.0:
        rings = math.ceil(2 * reach / spacing) + 1
        grid = []
        for q in range(-rings, rings + 1):
            for r in range(-rings, rings + 1):
                if (q, r) == (0, 0) or abs(q + r) > rings:
                    continue
                dx, dy = spacing * (q + r / 2), spacing * r * math.sqrt(3) / 2
                grid.append((math.hypot(dx, dy), math.atan2(dy, dx), dx, dy))
        found: list[Point] = []
        for _, _, dx, dy in sorted(grid):
            spot = Point(round(centre.x + dx), round(centre.y + dy))
            if inner.contains(spot) and all(spot.distance(o) >= spacing / 2
                                            for o in others if o is not centre):
                found.append(spot)
                if len(found) == n:
                    return found
        spacing *= 0.8
    raise RuntimeError(f"could not place {n} districts around {centre}")


def _demand_points(
    table: pd.DataFrame,
    municipalities: gpd.GeoDataFrame,
    centroids: list[Point],
    stations_per_muni: dict[str, int],
    s: BuildSettings,
    streams: Streams,
) -> gpd.GeoDataFrame:
    rng = streams.get("build.demand_points")
    rows: list[dict[str, object]] = []
    geoms: list[Point] = []
    for i, r in table.iterrows():
        code, name, pop = str(r["cbs_code"]), str(r["municipality"]), int(r["population"])
        area = float(r["area_km2"])
        n = max(stations_per_muni[code], 1 + round(area / s.km2_per_village))
        n = max(min(n, s.max_centres), stations_per_muni[code])
        # Skewed sizes: the main town's share grows with density; villages follow Zipf.
        density = pop / max(area, 1.0)
        main_share = float(np.clip(0.30 + 0.25 * math.log10(max(density, 1.0) / 50.0), 0.35, 0.92))
        ranks = np.arange(1, n)
        village_w = ranks ** -1.1 * rng.uniform(0.6, 1.4, size=n - 1)
        weights = np.concatenate(
            [[main_share], (1 - main_share) * village_w / village_w.sum()] if n > 1 else [[1.0]]
        )
        if n > 1:  # the main town is the largest centre
            weights[0] = max(weights[0], 1.25 * weights[1:].max())
        residents = apportion(pop, weights)
        if (residents <= 0).any():
            raise RuntimeError(f"{name}: a population centre would have no residents")
        cell = municipalities.geometry.iloc[i]
        inner = cell.buffer(-300.0)
        inner = inner if inner.area > 0.25 * cell.area else cell
        placed = [centroids[i] if inner.contains(centroids[i]) else inner.representative_point()]
        for _ in range(1, n):
            placed.append(_random_point_in(inner, rng, placed, s.min_centre_spacing_m))
        for k, (p, res) in enumerate(zip(placed, residents, strict=True)):
            town = name if k == 0 else f"{name} kern {k + 1}"
            parts = max(1, math.ceil(int(res) / s.max_centre_residents))
            spots = [p, *_district_spots(p, parts - 1, inner, placed, s.district_spacing_m)]
            shares = apportion(int(res), np.ones(parts))
            for j, (spot, n_res) in enumerate(zip(spots, shares, strict=True)):
                rows.append(
                    {
                        "id": f"{code}-K{k + 1:02d}" + (f"-W{j + 1:02d}" if j else ""),
                        "name": town if not j else f"{town} wijk {j + 1}",
                        "residents": int(n_res),
                        "kind": ("district" if j else "main_town" if k == 0 else "village"),
                        "municipality": code,
                        "region": str(r["region"]),
                    }
                )
                geoms.append(Point(round(spot.x), round(spot.y)))
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=RD_NEW)
    return frame[[*DEMAND_POINTS.columns, "geometry"]]


# --- fire stations -----------------------------------------------------------------------


def _fire_stations(
    table: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    stations_per_muni: dict[str, int],
    s: BuildSettings,
    streams: Streams,
) -> gpd.GeoDataFrame:
    rng_backup = streams.get("build.stations.backup_power")
    province = dict(zip(table["cbs_code"], table["province"], strict=True))
    n_pro = _professional_stations(table, stations_per_muni, s)
    rows: list[dict[str, object]] = []
    for code, dps in demand.groupby("municipality", sort=True):
        chosen = dps.sort_values(["residents", "id"], ascending=[False, True]).head(
            stations_per_muni[str(code)]
        )
        for k, (_, dp) in enumerate(chosen.iterrows()):
            region = str(dp["region"])
            professional_post = k < n_pro.get(str(code), 0)
            rows.append(
                {
                    "id": f"FS-{code}-{k + 1}",
                    "name": f"Brandweerpost {dp['name']}",
                    "has_backup_power": False,
                    "municipality": str(code),
                    "region": region,
                    "generator_kva": 0.0,
                    "tank_l": 0.0,
                    "crew_volunteer": 0,
                    "crew_professional": 0,
                    "is_coordination_point": False,
                    "province": province[str(code)],
                    "professional_post": professional_post,
                    "dp_residents": int(dp["residents"]),
                    "demand_point": str(dp["id"]),
                    "geometry": dp.geometry,
                }
            )
    frame = pd.DataFrame(rows)
    # Backup power: round(share x stations) stations per region; professional posts
    # first ("mainly volunteer posts lack a generator", Trouw via RD, 20 May 2025), the
    # rest chosen at random among the volunteer posts.
    for region, group in frame.groupby("region", sort=True):
        n_backup = round(s.backup_power_share[str(region)] * len(group))
        pro = group.index[group["professional_post"]].to_numpy()
        rest = group.index[~group["professional_post"]].to_numpy()
        if n_backup <= len(pro):
            picked = rng_backup.choice(pro, size=n_backup, replace=False)
        else:
            picked = np.concatenate([pro, rng_backup.choice(rest, size=n_backup - len(pro),
                                                            replace=False)])
        frame.loc[picked, "has_backup_power"] = True
    kva = np.where(frame["professional_post"], 100, 50) * frame["has_backup_power"]
    frame["generator_kva"] = kva.astype(float)
    frame["tank_l"] = [float(s.tank_l_by_kva[int(k)]) if k else 0.0 for k in kva]
    for reg, group in frame.groupby("region", sort=True):
        professional, volunteer = s.crew_per_region[str(reg)]
        pro_idx = group.index[group["professional_post"]]
        if len(pro_idx) == 0 and professional > 0:
            raise ValueError(f"no professional post in {reg} for {professional} professionals")
        if len(pro_idx):
            frame.loc[pro_idx, "crew_professional"] = apportion(
                professional, group.loc[pro_idx, "dp_residents"].to_numpy(float)
            )
        rel = group["dp_residents"].to_numpy(float) / group["dp_residents"].mean()
        weights = 0.6 + 0.4 * np.minimum(rel, 3)
        frame.loc[group.index, "crew_volunteer"] = apportion(volunteer, weights)
    # One coordination point per municipality: prefer backup power, then the professional
    # crew, then the largest population centre.
    ranked = frame.sort_values(
        ["municipality", "has_backup_power", "crew_professional", "dp_residents", "id"],
        ascending=[True, False, False, False, True],
    )
    frame.loc[ranked.groupby("municipality").head(1).index, "is_coordination_point"] = True
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=RD_NEW)
    out["crew_volunteer"] = out["crew_volunteer"].astype("int64")
    out["crew_professional"] = out["crew_professional"].astype("int64")
    return out[[*FIRE_STATIONS.columns, "demand_point", "geometry"]]


def _professional_stations(table: pd.DataFrame, stations_per_muni: Mapping[str, int],
                           s: BuildSettings) -> dict[str, int]:
    """Professional stations per municipality (the largest centres' stations first).

    The listed professional municipalities, and in a region with professionals but none
    of them its most populous municipality (ESTIMATE); one station per
    ``residents_per_professional_station`` residents, at least one.
    """
    listed = set(s.professional_posts)
    chosen: list[str] = []
    for region, group in table.groupby("region", sort=True):
        mine = [str(c) for c in group["cbs_code"] if c in listed]
        if not mine and s.crew_per_region[str(region)][0] > 0:
            mine = [str(group.sort_values(["population", "cbs_code"],
                                          ascending=[False, True])["cbs_code"].iloc[0])]
        chosen += mine
    population = dict(zip(table["cbs_code"].astype(str), table["population"], strict=True))
    return {code: min(stations_per_muni[code],
                      max(1, round(population[code] / s.residents_per_professional_station)))
            for code in chosen}


# --- candidate support points ------------------------------------------------------------

_TYPES = tuple(SUPPORT_POINT_TYPES)
#: ESTIMATE: mix of site types in towns (5,000 residents or more) and in villages.
_TOWN_MIX = np.array([0.30, 0.05, 0.20, 0.20, 0.25])
_VILLAGE_MIX = np.array([0.10, 0.35, 0.30, 0.10, 0.15])


def _support_point_candidates(
    table: pd.DataFrame, demand: gpd.GeoDataFrame, s: BuildSettings, streams: Streams
) -> gpd.GeoDataFrame:
    rng_type = streams.get("build.support_points.type")
    rng_backup = streams.get("build.support_points.backup_power")
    rng_place = streams.get("build.support_points.offset")
    rows: list[dict[str, object]] = []
    for _, r in table.iterrows():
        code = str(r["cbs_code"])
        dps = demand[demand["municipality"] == code]
        n = max(1, round(int(r["population"]) / s.residents_per_support_point))
        counts = apportion(n, dps["residents"].to_numpy(float))
        if counts[0] == 0:  # the main town always has one
            counts[int(np.argmax(counts))] -= 1
            counts[0] = 1
        k = 0
        for (_, dp), m in zip(dps.iterrows(), counts, strict=True):
            for j in range(int(m)):
                mix = _TOWN_MIX if dp["residents"] >= 5_000 else _VILLAGE_MIX
                kind = _TYPES[int(rng_type.choice(len(_TYPES), p=mix))]
                backup = bool(rng_backup.random() < s.support_point_backup_share)
                kva = (50 if kind in ("sports_hall", "school") else 25) if backup else 0
                angle, dist = rng_place.uniform(0, 2 * math.pi), rng_place.uniform(100, 250)
                geom = dp.geometry if j == 0 and m == 1 else Point(
                    round(dp.geometry.x + dist * math.cos(angle)),
                    round(dp.geometry.y + dist * math.sin(angle)),
                )
                k += 1
                rows.append(
                    {
                        "id": f"SP-{code}-{k:03d}",
                        "name": f"{SUPPORT_POINT_TYPES[kind]} {dp['name']}"
                        + (f" {j + 1}" if m > 1 else ""),
                        "type": kind,
                        "capacity": int(s.capacity_by_type[kind]),
                        "municipality": code,
                        "region": str(r["region"]),
                        "has_backup_power": backup,
                        "generator_kva": float(kva),
                        "tank_l": float(s.tank_l_by_kva[kva]) if backup else 0.0,
                        "demand_point": str(dp["id"]),
                        "geometry": geom,
                    }
                )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=RD_NEW)
    return frame[[*SUPPORT_POINT_CANDIDATES.columns, "demand_point", "geometry"]]


# --- regions -----------------------------------------------------------------------------


def _regions(table: pd.DataFrame, municipalities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    info = table.groupby("region", sort=True).agg(
        code=("region_code", "first"),
        full_name=("region_name", "first"),
        population=("population", "sum"),
        municipalities=("cbs_code", "count"),
    )
    shapes = municipalities.dissolve(by="region", sort=True)
    out = gpd.GeoDataFrame(
        {
            "name": info.index.to_numpy(),
            "code": info["code"].to_numpy(),
            "full_name": info["full_name"].to_numpy(),
            "population": info["population"].to_numpy("int64"),
            "municipalities": info["municipalities"].to_numpy("int64"),
        },
        geometry=shapes.geometry.reindex(info.index).to_numpy(),
        crs=RD_NEW,
    )
    return out
