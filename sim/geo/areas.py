"""Outage areas smaller than a municipality: a part of a municipality split off as its own area.

Real outages seldom follow municipal borders (Bommelerwaard 2007 took only some
villages of the Tielerwaard). An area is given by the population centres it
holds (their part of the municipality: the centres' Voronoi cells, clipped to
the municipality) or by a polygon (WKT in EPSG:28992). It becomes a
municipality-like unit of its own, with its own code, so the outage, the
restoration waves and every indicator can name it; the rest of the
municipality keeps the municipality's code. Both keep the municipality's code
in an extra column ``part_of`` (empty for whole municipalities), so staff and
other municipal resources stay shared. Points inside the area (centres, fire
stations, candidate sites) move with it; a part with fire stations but no
coordination point gets one (backup power first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sim.errors import Problems
from sim.geo.load import RegionData
from sim.geo.stations import choose_coordination_points

#: Smallest part (m^2) an area or the rest of its municipality may keep.
MIN_AREA_M2 = 1.0


@dataclass(frozen=True)
class AreaSpec:
    """One area: its code and name, and either population centres or a polygon."""

    code: str
    name: str
    demand_points: tuple[str, ...] = ()
    wkt: str | None = None


def _centres_area(municipality: shapely.Geometry, points: gpd.GeoDataFrame,
                  chosen: Sequence[str]) -> shapely.Geometry:
    """The part of the municipality nearer to the chosen centres than to its other centres."""
    if len(points) == len(chosen):
        return municipality
    xy = shapely.points(shapely.get_coordinates(points.geometry.to_numpy()))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy),
                                                       extend_to=municipality))
    tree = shapely.STRtree(cells)
    wanted = set(chosen)
    mine = []
    for point, ident in zip(xy, points["id"], strict=True):
        if ident in wanted:
            hits = tree.query(point, predicate="intersects")
            mine.extend(cells[hits].tolist())
    return shapely.intersection(shapely.union_all(mine), municipality)


def _move_points(frame: gpd.GeoDataFrame, parent: str, code: str,
                 area: shapely.Geometry) -> gpd.GeoDataFrame:
    """Points of ``parent`` that lie in ``area`` now belong to ``code``."""
    inside = (frame["municipality"] == parent).to_numpy() & shapely.covers(
        area, frame.geometry.to_numpy())
    if not inside.any():
        return frame
    out = frame.copy()
    out.loc[inside, "municipality"] = code
    return out


def split_areas(region: RegionData, areas: Sequence[AreaSpec], problems: Problems,
                field: str = "outage.areas") -> RegionData:
    """Split each area off its municipality; record every problem (``field``.i...)."""
    m = region.municipalities.copy()
    if "part_of" not in m.columns:
        m["part_of"] = ""
    dp = region.demand_points.copy()
    fs = region.fire_stations
    sp = region.support_point_candidates
    codes = set(m["code"])
    seen: set[str] = set()
    for i, area in enumerate(areas):
        key = f"{field}.{i}"
        if area.code in codes or area.code in seen:
            problems.add(f"{key}.code", area.code, "must be a new code, not one of a "
                         "municipality or of another area")
            continue
        seen.add(area.code)
        if bool(area.demand_points) == (area.wkt is not None):
            problems.add(key, area.code, "give either demand_points (population centres) or "
                         "wkt (a polygon in EPSG:28992), not both and not neither")
            continue
        if area.demand_points:
            chosen = dp[dp["id"].isin(area.demand_points)]
            unknown = sorted(set(area.demand_points) - set(chosen["id"]))
            if unknown:
                problems.add(f"{key}.demand_points", unknown[:10],
                             "must be ids of population centres (demand_points) of the "
                             "selected municipalities")
                continue
            parents = sorted(set(chosen["municipality"]))
            if len(parents) != 1:
                problems.add(f"{key}.demand_points", parents,
                             "must all lie in one municipality; make one area per "
                             "municipality")
                continue
            parent = parents[0]
            row = m.index[m["code"] == parent][0]
            shape = _centres_area(m.geometry[row], dp[dp["municipality"] == parent],
                                  list(chosen["id"]))
        else:
            try:
                polygon = shapely.from_wkt(area.wkt)
            except shapely.errors.GEOSException as exc:
                problems.add(f"{key}.wkt", (area.wkt or "")[:60],
                             f"must be a polygon in WKT ({exc})")
                continue
            if polygon.geom_type not in ("Polygon", "MultiPolygon") or not polygon.is_valid:
                problems.add(f"{key}.wkt", (area.wkt or "")[:60],
                             "must be a valid Polygon or MultiPolygon in EPSG:28992 metres")
                continue
            overlap = shapely.area(shapely.intersection(m.geometry.to_numpy(), polygon))
            if overlap.max(initial=0.0) < MIN_AREA_M2:
                problems.add(f"{key}.wkt", (area.wkt or "")[:60],
                             "lies in none of the selected municipalities")
                continue
            row = m.index[int(np.argmax(overlap))]
            parent = str(m.loc[row, "code"])
            shape = shapely.intersection(m.geometry[row], polygon)
        rest = shapely.difference(m.geometry[row], shape)
        if shape.area < MIN_AREA_M2 or rest.area < MIN_AREA_M2:
            problems.add(key, area.code, f"must be a part of {parent}, not all of it or "
                         "nothing of it (to take a whole municipality, list it in "
                         "outage.affected.municipalities)")
            continue
        dp = _move_points(dp, parent, area.code, shape)
        if not (dp["municipality"] == area.code).any():
            problems.add(key, area.code, "holds no population centre; draw it around one")
            continue
        people = int(dp.loc[dp["municipality"] == area.code, "residents"].sum())
        total = int(m.loc[row, "population"])
        m.loc[row, "population"] = max(total - people, 0)
        m.loc[row, "part_of"] = parent
        m.loc[row, "geometry"] = rest
        new = m.loc[[row]].copy()
        new["code"] = area.code
        new["name"] = f"{m.loc[row, 'name']}: {area.name}"
        new["population"] = people
        new["geometry"] = [shape]
        m = pd.concat([m, new], ignore_index=True)
        fs = _move_points(fs, parent, area.code, shape)
        sp = _move_points(sp, parent, area.code, shape)
    if not seen:
        return region
    # Each part with fire stations has a coordination point (its station takes the role,
    # as the volunteer stations of Köpenick 2019 did); a part that kept one keeps it.
    parts = set(m.loc[m["part_of"] != "", "code"])
    has_cp = set(fs.loc[fs["is_coordination_point"].astype(bool), "municipality"])
    fs = choose_coordination_points(fs, only=parts - has_cp)
    m = gpd.GeoDataFrame(m, geometry="geometry", crs=region.municipalities.crs)
    context = region.context_municipalities
    if context is not None:
        rest = context[~context["code"].isin(set(m["code"]))]
        context = gpd.GeoDataFrame(pd.concat([m, rest], ignore_index=True),
                                   geometry="geometry", crs=context.crs)
        context["part_of"] = context["part_of"].fillna("")
    return dataclasses.replace(region, municipalities=m, demand_points=dp, fire_stations=fs,
                               support_point_candidates=sp, context_municipalities=context)
