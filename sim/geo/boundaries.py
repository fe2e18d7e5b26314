"""Real municipal and safety-region boundaries from CBS/PDOK files, for the embedded geodata.

Reads the 2025 municipal boundaries and the safety regions (GeoJSON as published
by CBS/PDOK and mirrored by ``cartomap/nl``), declares or converts their CRS to
EPSG:28992, repairs invalid polygons, simplifies the municipalities as one
coverage (shared borders stay shared: no gaps or overlaps appear) and checks
that every municipality lies in the safety region the municipal table gives it.
Pure functions of their inputs; the build script (``geodata/build.py``) does the
file handling around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from sim.geo.schema import RD_NEW

#: Simplification tolerance of the embedded municipal boundaries, metres. The CBS
#: "gegeneraliseerd" source is already coarse (about 19 vertices per municipality), so
#: this removes only vertices that lie within 50 m of a straight border.
SIMPLIFY_TOLERANCE_M = 50.0


@dataclass(frozen=True)
class Boundaries:
    """Municipal polygons by CBS code and the safety regions, all in EPSG:28992."""

    municipalities: gpd.GeoDataFrame  # code, name, geometry
    regions: gpd.GeoDataFrame  # code (VRxx), full_name, geometry


def read_boundaries(municipalities: Path, regions: Path, municipalities_crs: str | None,
                    regions_crs: str | None) -> Boundaries:
    """Read both files (``*_crs``: declare the file's CRS when it has no ``crs`` member)."""
    m = _read(municipalities, municipalities_crs)
    r = _read(regions, regions_crs)
    for frame, path in ((m, municipalities), (r, regions)):
        missing = {"statcode", "statnaam"} - set(frame.columns)
        if missing:
            raise ValueError(f"{path}: missing the CBS columns {sorted(missing)}")
    return Boundaries(
        municipalities=gpd.GeoDataFrame(
            {"code": m["statcode"].astype(str), "name": m["statnaam"].astype(str)},
            geometry=repair(m.geometry), crs=RD_NEW),
        regions=gpd.GeoDataFrame(
            {"code": r["statcode"].astype(str), "full_name": r["statnaam"].astype(str)},
            geometry=repair(r.geometry), crs=RD_NEW),
    )


def _read(path: Path, crs: str | None) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    if crs is not None:  # the file's own (missing or wrong) CRS is overridden
        frame = frame.set_crs(crs, allow_override=True)
    elif frame.crs is None:
        raise ValueError(f"{path}: the file states no CRS; give it (for example EPSG:28992)")
    elif frame.crs.is_geographic:
        # GeoJSON without a crs member is read as WGS84, whatever its coordinates are.
        x0, y0, x1, y1 = frame.total_bounds
        if min(x0, y0) < -180 or max(x1, y1) > 180:
            raise ValueError(f"{path}: coordinates up to {max(x1, y1):.0f} are not longitude/"
                             "latitude; give the file's CRS (for example EPSG:28992)")
    return frame.to_crs(RD_NEW)


def repair(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Invalid polygons made valid (for example two holes sharing an edge), others kept."""
    bad = ~geometry.is_valid
    if not bad.any():
        return geometry
    fixed = geometry.copy()
    fixed[bad] = shapely.make_valid(geometry[bad].to_numpy())
    return fixed


def simplify(municipalities: gpd.GeoDataFrame,
             tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """The municipalities simplified as one coverage (shared borders simplified once)."""
    geoms = municipalities.geometry.to_numpy()
    if not shapely.coverage_is_valid(geoms):
        raise ValueError("the municipal boundaries overlap or leave slivers between "
                         "neighbours; they are not a valid coverage")
    out = municipalities.copy()
    out.geometry = shapely.set_precision(shapely.coverage_simplify(geoms, tolerance_m),
                                         grid_size=1.0)
    return out


def check_regions(boundaries: Boundaries, table: pd.DataFrame) -> None:
    """Raise unless the table and the boundaries agree on codes and safety regions.

    ``table`` has ``cbs_code`` and ``region_code`` (VRxx). Every municipality of the
    table must have a polygon, and the polygon's representative point must lie in the
    safety region the table gives it.
    """
    m = boundaries.municipalities.set_index("code")
    missing = sorted(set(table["cbs_code"]) - set(m.index))
    extra = sorted(set(m.index) - set(table["cbs_code"]))
    if missing or extra:
        raise ValueError(f"municipal codes differ between the table and the boundaries: "
                         f"without a polygon {missing[:10]}, not in the table {extra[:10]}")
    unknown = sorted(set(table["region_code"]) - set(boundaries.regions["code"]))
    if unknown:
        raise ValueError(f"safety regions of the table without a boundary: {unknown}")
    points = gpd.GeoDataFrame(
        {"code": table["cbs_code"].to_numpy(), "expected": table["region_code"].to_numpy()},
        geometry=m.loc[table["cbs_code"]].geometry.representative_point().to_numpy(),
        crs=RD_NEW)
    joined = gpd.sjoin(points, boundaries.regions[["code", "geometry"]].rename(
        columns={"code": "found"}), predicate="within", how="left")
    wrong = joined[joined["found"] != joined["expected"]]
    if not wrong.empty:
        rows = [f"{c}: table {e}, boundary {f}" for c, e, f in
                zip(wrong["code"], wrong["expected"], wrong["found"], strict=True)]
        raise ValueError(f"municipalities outside their table's safety region: {rows[:10]}")
