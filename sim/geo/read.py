"""Reading one geodata layer: the file, its CRS (reprojected to EPSG:28992), columns, checks.

Problems are recorded in a :class:`~sim.errors.Problems` collection rather than
raised, so ``sim.geo.load`` can report every problem of every layer at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from sim.errors import Problems
from sim.geo.schema import RD_NEW, RD_NEW_BOUNDS, LayerSchema

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
#: At most this many ids are named in one problem.
MAX_LISTED = 10
#: A file's own feature-id columns, dropped on reading.
FID_COLUMNS = ("fid", "ogc_fid", "objectid")


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from. ``path=None`` means the region's GeoPackage."""

    path: Path | None = None
    layer: str | None = None
    crs: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)


def layer_field(layer: str, key: str) -> str:
    """The config key of a layer's setting, e.g. ``region.layers.fire_stations.path``."""
    return f"region.layers.{layer}.{key}"


def read_layer(
    schema: LayerSchema, source: LayerSource, geopackage: Path, problems: Problems,
    provenance: dict[str, str],
) -> gpd.GeoDataFrame | None:
    """Read a layer from its own file or the GeoPackage, in EPSG:28992 with canonical names."""
    path = Path(source.path) if source.path is not None else geopackage
    where = layer_field(schema.name, "path") if source.path is not None else "region.geopackage"
    if not path.is_file():
        problems.add(where, str(path),
                     "must be an existing file (GeoPackage, GeoJSON or Shapefile)")
        return None
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        problems.add(where, str(path), f"must end in one of {', '.join(SUPPORTED_SUFFIXES)}")
        return None
    try:
        available = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's own error types vary by driver
        problems.add(where, str(path), f"could not be opened as a vector file ({exc})")
        return None
    layer_name = source.layer
    if layer_name is None:
        if schema.name in available:
            layer_name = schema.name
        elif len(available) == 1:
            layer_name = available[0]
        else:
            problems.add(
                layer_field(schema.name, "layer"),
                None,
                f"{path.name} holds layers {available}; name the one to use",
            )
            return None
    elif layer_name not in available:
        problems.add(layer_field(schema.name, "layer"), layer_name, f"must be one of {available}")
        return None
    try:
        frame = gpd.read_file(path, layer=layer_name, engine="pyogrio")
    except Exception as exc:
        problems.add(where, str(path), f"layer {layer_name!r} could not be read ({exc})")
        return None
    provenance[schema.name] = f"{path}#{layer_name}"
    frame = to_rd_new(frame, schema.name, source, path, problems)
    if frame is None:
        return None
    return rename_columns(frame, schema, source, path, problems)


def to_rd_new(
    frame: gpd.GeoDataFrame, layer: str, source: LayerSource, path: Path, problems: Problems
) -> gpd.GeoDataFrame | None:
    """Declare or check the source CRS, reject impossible coordinates, reproject."""
    crs_field = layer_field(layer, "crs")
    if source.crs is not None:
        try:
            declared = CRS.from_user_input(source.crs)
        except CRSError:
            problems.add(crs_field, source.crs, "must be a CRS pyproj knows, e.g. 'EPSG:28992'")
            return None
        frame = frame.set_crs(declared, allow_override=True)
    elif frame.crs is None:
        problems.add(
            crs_field,
            None,
            f"{path.name} has no CRS; declare the CRS its coordinates are in "
            "(for example EPSG:28992 for the Dutch national grid)",
        )
        return None
    valid = frame.geometry.notna() & ~frame.geometry.is_empty
    if not valid.any():
        return frame.to_crs(RD_NEW)  # nothing to check here; the layer check names empties
    minx, miny, maxx, maxy = frame.geometry[valid].total_bounds
    crs = frame.crs
    assert crs is not None
    box = f"x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}"
    how = "declared" if source.crs is not None else "assumed from the file"
    if crs.is_geographic and (min(minx, miny) < -180 or max(maxx, maxy) > 180 or abs(miny) > 90
                              or abs(maxy) > 90):
        hint = (
            "; they look like metres, for example the Dutch national grid: declare "
            f"{crs_field}: EPSG:28992"
            if RD_NEW_BOUNDS[0] <= minx and maxx <= RD_NEW_BOUNDS[2]
            and RD_NEW_BOUNDS[1] <= miny and maxy <= RD_NEW_BOUNDS[3]
            else f"; declare the right CRS with {crs_field}"
        )
        problems.add(
            crs_field,
            crs.to_string(),
            f"coordinates of {path.name} ({box}) are impossible for {crs.to_string()} "
            f"({how}: longitude/latitude in degrees){hint}",
        )
        return None
    out = frame.to_crs(RD_NEW)
    bx = out.geometry[valid].total_bounds
    if not np.all(np.isfinite(bx)) or not (
        RD_NEW_BOUNDS[0] <= bx[0] and bx[2] <= RD_NEW_BOUNDS[2]
        and RD_NEW_BOUNDS[1] <= bx[1] and bx[3] <= RD_NEW_BOUNDS[3]
    ):
        problems.add(
            crs_field,
            crs.to_string(),
            f"coordinates of {path.name} ({box}, {how}) fall outside the Netherlands once "
            f"reprojected to {RD_NEW}; declare the CRS the file really uses with {crs_field}",
        )
        return None
    return out


def rename_columns(
    frame: gpd.GeoDataFrame, schema: LayerSchema, source: LayerSource, path: Path,
    problems: Problems,
) -> gpd.GeoDataFrame | None:
    """Apply the layer's column mapping (source name -> canonical name)."""
    missing = [c for c in source.columns if c not in frame.columns]
    if missing:
        hint = "" if source.path is not None else (
            f" ({layer_field(schema.name, 'path')} is null, so the layer is read from "
            f"region.geopackage; set the path of the file these columns belong to)"
        )
        problems.add(
            layer_field(schema.name, "columns"),
            dict(source.columns),
            f"{path.name} has no column {missing}; its columns are "
            f"{[c for c in frame.columns if c != 'geometry']}{hint}",
        )
        return None
    known = set(schema.columns)
    unknown_targets = [t for t in source.columns.values() if t not in known]
    if unknown_targets:
        problems.add(
            layer_field(schema.name, "columns"),
            dict(source.columns),
            f"maps to unknown column(s) {unknown_targets}; allowed targets are {sorted(known)}",
        )
        return None
    renamed = frame.rename(columns=dict(source.columns))
    # A mapped column replaces a same-named one in the file.
    return renamed.loc[:, ~renamed.columns.duplicated(keep="last")]


def read_csv_table(path: Path | str, key: str, problems: Problems,
               **options: object) -> pd.DataFrame | None:
    """A CSV table, or None with the problem named (empty, not text, not a table)."""
    try:
        table = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        problems.add(key, str(path), "is empty; allowed: a CSV table with a header row")
        return None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        problems.add(key, str(path), f"is not a readable UTF-8 CSV table ({type(exc).__name__})")
        return None
    if table.empty:
        problems.add(key, str(path), "has a header but no rows")
        return None
    return table


def fill_from_table(
    frame: gpd.GeoDataFrame, table_path: Path | None, problems: Problems
) -> gpd.GeoDataFrame:
    """Fill region/population columns absent from a municipality file from the table."""
    missing = [c for c in ("name", "region", "population", "population_year")
               if c not in frame.columns]
    if not missing or "code" not in frame.columns:
        return frame
    if table_path is None:
        return frame  # the required-column check names what is missing
    if not Path(table_path).is_file():
        problems.add("region.municipality_table", str(table_path), "must be an existing CSV file")
        return frame
    table = read_csv_table(table_path, "region.municipality_table", problems,
                       dtype={"cbs_code": str})
    if table is None:
        return frame
    table = table.rename(columns={"cbs_code": "code", "municipality": "name"})
    need = {"code", *missing}
    if not need <= set(table.columns):
        problems.add(
            "region.municipality_table",
            str(table_path),
            f"must have columns {sorted(need)}; it has {list(table.columns)}",
        )
        return frame
    merged = frame.merge(table[["code", *missing]], on="code", how="inner")
    if merged.empty:
        problems.add("region.municipality_table", str(table_path),
                     f"holds none of the {len(frame)} codes of the municipality file (such as "
                     f"{frame['code'].astype(str).head(3).tolist()}); its codes are such as "
                     f"{table['code'].astype(str).head(3).tolist()}")
        return frame
    if len(merged) < len(frame):
        log.info("%d municipalities of the file are not in %s and are left out",
                 len(frame) - len(merged), Path(table_path).name)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=frame.crs)


def check_layer(
    frame: gpd.GeoDataFrame, schema: LayerSchema, source: LayerSource, repair: bool,
    problems: Problems,
) -> gpd.GeoDataFrame | None:
    """Required columns, types, ids, geometry; returns the layer with its schema's columns."""
    name = schema.name
    if frame.empty:
        problems.add(layer_field(name, "path"), str(source.path) if source.path else None,
                     f"layer {name} has no features; allowed: a file with at least one")
        return None
    absent = [c for c in schema.required if c not in frame.columns]
    if absent:
        problems.add(
            layer_field(name, "columns"),
            dict(source.columns),
            f"layer {name} lacks required column(s) {absent}; the layer has "
            f"{[c for c in frame.columns if c != 'geometry']}; map a column to each with "
            f"{layer_field(name, 'columns')}",
        )
        return None
    frame = frame.copy()
    for column, (_, default) in schema.optional.items():
        if column not in frame.columns:
            frame[column] = default
    ok = True
    kinds = {**schema.required, **{c: k for c, (k, _) in schema.optional.items()}}
    for column, kind in kinds.items():
        values = frame[column]
        if values.isna().any():
            bad = frame.loc[values.isna(), schema.id_column].astype(str).tolist()[:MAX_LISTED]
            problems.add(f"{name}.{column}", None, f"must not be empty; empty for {bad}")
            ok = False
            continue
        try:
            frame[column] = cast(values, kind)
        except (TypeError, ValueError):
            at = first_bad(values, kind)
            problems.add(
                f"{name}.{column}",
                values.iloc[at],
                f"must be of type {kind}{' (a whole number)' if kind == 'int' else ''}; "
                f"the value of {schema.id_column} {str(frame[schema.id_column].iloc[at])!r} "
                f"(row {at + 1} of {source.path or 'the layer'}) is not",
            )
            ok = False
            continue
        if kind == "str":
            odd = frame[column].map(lambda v: has_control_characters(v) or (
                isinstance(v, str) and v.startswith(("=", "+", "@"))))
            if odd.any():
                at = int(np.flatnonzero(odd.to_numpy())[0])
                where = frame.loc[odd, schema.id_column].astype(str).tolist()[:MAX_LISTED]
                problems.add(f"{name}.{column}", frame[column].iloc[at],
                             "must not hold control characters (line breaks, escape codes) "
                             f"nor start like a spreadsheet formula (=, +, @); found for {where}")
                ok = False
        elif kind in ("int", "float"):
            cap = MAXIMA.get(column, np.inf)
            wrong = ~np.isfinite(frame[column].to_numpy(float)) | (frame[column] > cap)
            if wrong.any():
                bad = frame.loc[wrong, schema.id_column].astype(str).tolist()[:MAX_LISTED]
                problems.add(f"{name}.{column}", frame.loc[wrong, column].iloc[0].item(),
                             f"must be a finite number <= {cap:g}; not so for {bad}")
                ok = False
    if not ok:
        return None
    ids = frame[schema.id_column]
    dupes = sorted(set(ids[ids.duplicated()].astype(str)))
    if dupes:
        problems.add(f"{name}.{schema.id_column}", dupes[:MAX_LISTED], "ids must be unique")
    negative = False
    for column, kind in kinds.items():
        if kind in ("int", "float") and (frame[column] < 0).any():
            bad = frame.loc[frame[column] < 0, schema.id_column].astype(str).tolist()
            problems.add(f"{name}.{column}", frame[column].min().item(),
                         f"must be >= 0; negative for {bad[:MAX_LISTED]}")
            negative = True
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.add(f"{name}.geometry", ids[empty].astype(str).tolist()[:MAX_LISTED],
                     "features without geometry (null or empty) are not allowed")
    allowed = ("Point",) if schema.geometry == "point" else ("Polygon", "MultiPolygon")
    wrong = ~empty & ~geom.geom_type.isin(allowed)
    if wrong.any():
        problems.add(f"{name}.geometry", sorted(set(geom[wrong].geom_type)),
                     f"geometry type must be {' or '.join(allowed)}")
    invalid = ~empty & ~wrong & ~geom.is_valid
    if invalid.any():
        if repair:
            frame.loc[invalid, "geometry"] = shapely.make_valid(geom[invalid].to_numpy())
        else:
            reasons = shapely.is_valid_reason(geom[invalid].to_numpy())[:3]
            problems.add(
                f"{name}.geometry",
                ids[invalid].astype(str).tolist()[:MAX_LISTED],
                f"invalid geometries ({'; '.join(reasons)}); fix them or set "
                "region.repair_geometries=true",
            )
    if dupes or negative or empty.any() or wrong.any() or (
            invalid.any() and not repair):
        return None
    # Extra columns ride along, except the files' own feature ids (a GeoPackage keeps its own).
    keep = [c for c in frame.columns if c != "geometry" and c.lower() not in FID_COLUMNS]
    return frame[[*keep, "geometry"]]


#: Upper bounds of numeric geodata columns: far above any real site, below nonsense.
MAXIMA = {"generator_kva": 5000.0, "tank_l": 100_000.0, "capacity": 100_000.0,
          "residents": 2_000_000.0, "population": 2_000_000.0, "crew_volunteer": 1000.0,
          "crew_professional": 1000.0}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_characters(value: object) -> bool:
    """Whether text holds a control character (tab, line break, escape, bell, ...)."""
    return isinstance(value, str) and _CONTROL.search(value) is not None


def first_bad(values: pd.Series, kind: str) -> int:
    """The position of the first value that cannot be cast to ``kind``."""
    for i, value in enumerate(values):
        try:
            cast(pd.Series([value]), kind)
        except (TypeError, ValueError):
            return i
    return 0


def cast(values: pd.Series, kind: str) -> pd.Series:
    """A column converted to a schema kind (bool, int, float, str); raises when it cannot."""
    if kind == "bool":
        if values.dtype == bool:
            return values
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
                   "ja": True, "nee": False}
        as_text = values.astype(str).str.strip().str.lower()
        if not as_text.isin(list(mapping)).all():
            raise ValueError("not a boolean")
        return as_text.map(mapping).astype(bool)
    if kind == "int":
        as_float = pd.to_numeric(values, errors="raise").astype(float)
        if not np.all(np.equal(np.mod(as_float, 1), 0)):
            raise ValueError("not an integer")
        return as_float.astype("int64")
    if kind == "float":
        return pd.to_numeric(values, errors="raise").astype("float64")
    return values.astype(str)
