"""Deterministic build of the embedded Oost-5 geodata from the committed source table.

Real municipal boundaries cannot be shipped, so the ``municipalities`` layer is
*approximate*: Voronoi cells of the area-weighted municipal centroids, clipped
to a buffered concave hull of all centroids whose buffer is chosen so that
the total area equals the source table's total. Population centres, fire
stations and candidate support points are synthetic as well, but their
counts and totals follow sourced figures (see ``BuildSettings``). The
same settings always give the same layers: every random draw comes from
one named stream of one seed.

Run ``python geodata/build_oost5.py`` to rebuild ``geodata/oost5.gpkg``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point
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
from sim.mathutil import apportion
from sim.streams import Streams

Layers = dict[str, gpd.GeoDataFrame]

#: Description stored with each layer of the embedded GeoPackage.
LAYER_METADATA = {
    "municipalities": (
        "APPROXIMATE boundaries: Voronoi cells of the CBS area-weighted centroids, clipped to a "
        "buffered concave hull with the source table's total area. Not the real borders. "
        "Codes, names, regions and populations are real (CBS, 1 Jan 2021)."
    ),
    "demand_points": "SYNTHETIC population centres; residents sum exactly to the CBS population.",
    "fire_stations": (
        "SYNTHETIC locations; counts per safety region, backup-power shares and crews follow "
        "the sources in sim/geo/synthetic.py (BuildSettings)."
    ),
    "support_point_candidates": "SYNTHETIC candidate sites, about 1 per 5,000 residents.",
    "regions": "Safety regions, dissolved from the approximate municipal boundaries.",
}


K = TypeVar("K")
V = TypeVar("V")


def _frozen(d: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class BuildSettings:
    """Every number the synthetic build uses, with its source (see ``reference/parameters.md``)."""

    seed: int = 20250513  # the date of the noodsteunpunten note (seed 002); any fixed integer
    #: Fire stations per safety region. VNOG 56 (vnog.nl 2019, high), VGGM ESTIMATE 40
    #: (not found), VGZ 36 (Wikipedia, medium), IJsselland 36 (2013, medium),
    #: Twente 29 (2019, high).
    stations_per_region: Mapping[str, int] = field(
        default_factory=lambda: _frozen(
            {"VNOG": 56, "VGGM": 40, "VGZ": 36, "IJsselland": 36, "Twente": 29}
        )
    )
    #: Share of stations with a fixed backup generator. Twente "more than half" (0.55),
    #: the other regions 0.15 so that the national share stays under 20 % (Trouw inventory
    #: via RD, 20 May 2025, high).
    backup_power_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"VNOG": 0.15, "VGGM": 0.15, "VGZ": 0.15, "IJsselland": 0.15, "Twente": 0.55}
        )
    )
    #: Operational firefighters per province, (professional, volunteer): CBS 71482ned, 1 Jan 2019.
    crew_per_province: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: _frozen({"Gelderland": (431, 2729), "Overijssel": (303, 1411)})
    )
    #: Municipalities with a professional corps. Apeldoorn, Deventer, Zwolle, Ede (regional
    #: news, medium); Arnhem, Nijmegen and Enschede are an ESTIMATE (large cities).
    professional_posts: tuple[str, ...] = (
        "GM0200", "GM0150", "GM0193", "GM0228", "GM0202", "GM0268", "GM0153",
    )
    #: ESTIMATE: one population centre besides the main town per this many km2.
    km2_per_village: float = 25.0
    max_centres: int = 12
    min_centre_spacing_m: float = 1_500.0
    #: Density rule of thumb: one support point per about 5,000 inhabitants
    #: (crisiskunde.nl, low-medium).
    residents_per_support_point: int = 5_000
    #: ESTIMATE: share of local candidate sites with their own generator (not found; low).
    support_point_backup_share: float = 0.05
    #: ESTIMATE: people a site can hold at once, by type.
    capacity_by_type: Mapping[str, int] = field(
        default_factory=lambda: _frozen(
            {
                "community_centre": 120,
                "village_hall": 80,
                "place_of_worship": 150,
                "sports_hall": 400,
                "school": 250,
            }
        )
    )
    #: Fuel tank in litres by generator size: about 8 h at full load (German fire-service
    #: generator sets: 100 kVA with a 200 L tank, medium) with the full-load use of
    #: ``parameters.md`` (25 kVA 6 L/h, 50 kVA 12 L/h, 100 kVA 24 L/h).
    tank_l_by_kva: Mapping[int, float] = field(
        default_factory=lambda: _frozen({25: 50.0, 50: 100.0, 100: 200.0})
    )

    def __post_init__(self) -> None:
        for region, share in self.backup_power_share.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(
                    f"backup_power_share[{region!r}] = {share}: must be between 0 and 1"
                )
        for region, n in self.stations_per_region.items():
            if n < 1:
                raise ValueError(f"stations_per_region[{region!r}] = {n}: must be >= 1")


def read_source_table(path: Path) -> pd.DataFrame:
    """Read the committed municipality table and check it."""
    table = pd.read_csv(path, dtype={"cbs_code": str})
    needed = {
        "region", "region_code", "region_name", "province", "municipality", "cbs_code",
        "population", "population_year", "lat", "lon", "area_km2",
    }
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if table["cbs_code"].duplicated().any():
        raise ValueError(f"{path}: duplicate cbs_code values")
    return table.sort_values(["region", "cbs_code"], kind="stable").reset_index(drop=True)


def build_layers(
    table: pd.DataFrame,
    settings: BuildSettings | None = None,
    boundaries: Mapping[str, BaseGeometry] | None = None,
) -> Layers:
    """Build the five layers from the source table. Pure: no file access.

    With ``boundaries`` (CBS code to polygon, in EPSG:28992, for example the real
    municipal borders) the points are placed inside those polygons instead of
    the approximate Voronoi cells; the table is cut to the codes given.
    """
    s = settings or BuildSettings()
    if boundaries is not None:
        unknown = sorted(set(boundaries) - set(table["cbs_code"]))
        if unknown:
            raise ValueError(f"boundaries for codes not in the source table: {unknown}")
        table = table[table["cbs_code"].isin(list(boundaries))].reset_index(drop=True)
    streams = Streams(s.seed)
    regions_in_table = sorted(table["region"].unique())
    for name in ("stations_per_region", "backup_power_share"):
        missing = set(regions_in_table) - set(getattr(s, name))
        if missing:
            raise ValueError(f"BuildSettings.{name} has no value for regions {sorted(missing)}")

    to_rd = Transformer.from_crs("EPSG:4326", RD_NEW, always_xy=True)
    x, y = to_rd.transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    centroids = [Point(round(a, 1), round(b, 1)) for a, b in zip(x, y, strict=True)]
    if boundaries is None:
        cells = _approximate_boundaries(centroids, float(table["area_km2"].sum()) * 1e6)
    else:
        cells = [boundaries[str(code)] for code in table["cbs_code"]]

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


# --- boundaries --------------------------------------------------------------------------


def _approximate_boundaries(centroids: list[Point], target_area_m2: float) -> list[BaseGeometry]:
    """Voronoi cells of the centroids, clipped to a buffered concave hull of target area."""
    points = MultiPoint(centroids)
    core = shapely.concave_hull(points, ratio=0.35)
    lo, hi = 0.0, 60_000.0
    for _ in range(60):  # bisection on the buffer distance: area grows with it
        mid = (lo + hi) / 2
        if core.buffer(mid, quad_segs=8).area < target_area_m2:
            lo = mid
        else:
            hi = mid
    hull = shapely.set_precision(core.buffer((lo + hi) / 2, quad_segs=8), grid_size=1.0)
    diagram = shapely.voronoi_polygons(points, extend_to=hull)
    voronoi = list(shapely.get_parts(diagram))
    tree = shapely.STRtree(voronoi)
    cells: list[BaseGeometry] = []
    for c in centroids:
        (idx,) = tree.query(c, predicate="intersects")[:1]
        cell = shapely.set_precision(voronoi[int(idx)].intersection(hull), grid_size=1.0)
        cells.append(shapely.make_valid(cell) if not cell.is_valid else cell)
    return cells


# --- population centres ------------------------------------------------------------------


def _stations_per_municipality(table: pd.DataFrame, s: BuildSettings) -> dict[str, int]:
    """At least one station per municipality; the rest by sqrt(population x area)."""
    out: dict[str, int] = {}
    for region, group in table.groupby("region", sort=True):
        total = int(s.stations_per_region[str(region)])
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
            rows.append(
                {
                    "id": f"{code}-K{k + 1:02d}",
                    "name": name if k == 0 else f"{name} kern {k + 1}",
                    "residents": int(res),
                    "kind": "main_town" if k == 0 else "village",
                    "municipality": code,
                    "region": str(r["region"]),
                }
            )
            geoms.append(Point(round(p.x), round(p.y)))
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
    rows: list[dict[str, object]] = []
    for code, dps in demand.groupby("municipality", sort=True):
        chosen = dps.sort_values(["residents", "id"], ascending=[False, True]).head(
            stations_per_muni[str(code)]
        )
        for k, (_, dp) in enumerate(chosen.iterrows()):
            region = str(dp["region"])
            professional_post = k == 0 and code in s.professional_posts
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
    # Backup power: round(share x stations) stations per region, chosen at random.
    for region, group in frame.groupby("region", sort=True):
        n_backup = round(s.backup_power_share[str(region)] * len(group))
        picked = rng_backup.choice(group.index.to_numpy(), size=n_backup, replace=False)
        frame.loc[picked, "has_backup_power"] = True
    kva = np.where(frame["professional_post"], 100, 50) * frame["has_backup_power"]
    frame["generator_kva"] = kva.astype(float)
    frame["tank_l"] = [float(s.tank_l_by_kva[int(k)]) if k else 0.0 for k in kva]
    for prov, group in frame.groupby("province", sort=True):
        professional, volunteer = s.crew_per_province[str(prov)]
        pro_idx = group.index[group["professional_post"]]
        if len(pro_idx) == 0 and professional > 0:
            raise ValueError(f"no professional post in {prov} for {professional} professionals")
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
