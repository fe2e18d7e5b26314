"""Load, check and select the geodata layers, from the embedded GeoPackage or user files.

Every layer can come from its own file (GeoPackage, GeoJSON, Shapefile) with a
column mapping, for example the CBS/PDOK ``statcode``/``statnaam``. Everything
is reprojected to EPSG:28992. Problems are collected over all layers and raised
together as one :class:`~sim.errors.InputError`, so a user sees everything wrong
with their files at once.

Where municipalities come from a user file but a point layer does not, the
points are synthesized inside the loaded polygons by the same deterministic
builder as the embedded data (for municipalities in the embedded source table).
"""

from __future__ import annotations

import logging
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
from sim.geo.schema import (
    DEMAND_POINTS,
    FIRE_STATIONS,
    MUNICIPALITIES,
    POINT_LAYERS,
    RD_NEW,
    RD_NEW_BOUNDS,
    REGIONS,
    SCHEMAS,
    LayerSchema,
)
from sim.geo.synthetic import BuildSettings, build_layers, read_source_table

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
_MAX_LISTED = 10


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from. ``path=None`` means the region's GeoPackage."""

    path: Path | None = None
    layer: str | None = None
    crs: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GeodataSpec:
    """Everything needed to load the region's geodata, already type-checked."""

    geopackage: Path
    sources: Mapping[str, LayerSource]
    municipality_table: Path | None = None
    select_codes: tuple[str, ...] = ()
    select_regions: tuple[str, ...] = ()
    snap_tolerance_m: float = 100.0
    repair_geometries: bool = False
    synthesis: BuildSettings = field(default_factory=BuildSettings)

    def source(self, layer: str) -> LayerSource:
        """The source of ``layer`` (the GeoPackage's layer of that name when not set)."""
        return self.sources.get(layer, LayerSource())


@dataclass(frozen=True)
class RegionData:
    """The validated layers, all in EPSG:28992, cut to the selected municipalities."""

    municipalities: gpd.GeoDataFrame
    demand_points: gpd.GeoDataFrame
    fire_stations: gpd.GeoDataFrame
    support_point_candidates: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    #: Where each layer came from ("path#layer", "synthesized" or "derived").
    provenance: Mapping[str, str] = field(default_factory=dict)
    #: Every municipality loaded, selected or not (for places outside the selection).
    context_municipalities: gpd.GeoDataFrame | None = None

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The five layers by their canonical name."""
        return {name: getattr(self, name) for name in SCHEMAS}


def _field(layer: str, key: str) -> str:
    return f"region.layers.{layer}.{key}"


def load_region(spec: GeodataSpec) -> RegionData:
    """Load every layer, check it and cut it to the selection; raise all problems at once."""
    problems = Problems()
    provenance: dict[str, str] = {}
    raw: dict[str, gpd.GeoDataFrame] = {}
    user_municipalities = spec.source(MUNICIPALITIES.name).path is not None

    # Municipalities first: the point layers are joined to them.
    frame = _read_layer(MUNICIPALITIES, spec, problems, provenance)
    if frame is not None:
        frame = _fill_from_table(frame, spec, problems)
        frame = _check_layer(frame, MUNICIPALITIES, spec, problems)
    if frame is None:
        problems.raise_if_any()
        raise AssertionError("unreachable: municipalities failed without a problem")
    all_municipalities = frame
    selected = _select(all_municipalities, spec, problems)

    synthesized: dict[str, gpd.GeoDataFrame] | None = None
    for schema in POINT_LAYERS:
        source = spec.source(schema.name)
        if user_municipalities and source.path is None:
            if synthesized is None:
                synthesized = _synthesize(all_municipalities, spec, problems)
            if synthesized is None:
                continue
            raw[schema.name] = synthesized[schema.name]
            provenance[schema.name] = "synthesized inside the loaded municipalities"
            continue
        layer = _read_layer(schema, spec, problems, provenance)
        if layer is not None:
            layer = _check_layer(layer, schema, spec, problems)
        if layer is not None:
            raw[schema.name] = _assign_municipality(
                layer, schema, all_municipalities, spec, problems
            )

    regions: gpd.GeoDataFrame | None
    if spec.source(REGIONS.name).path is None and user_municipalities:
        regions = _derive_regions(all_municipalities, spec)
        provenance[REGIONS.name] = "derived by dissolving the municipalities"
    else:
        regions = _read_layer(REGIONS, spec, problems, provenance)
        if regions is not None:
            regions = _check_layer(regions, REGIONS, spec, problems)
    if regions is not None:
        unknown = sorted(set(all_municipalities["region"]) - set(regions["name"]))
        if unknown:
            problems.add(
                _field(REGIONS.name, "path"),
                provenance.get(REGIONS.name),
                f"the regions layer has no region named {unknown[:_MAX_LISTED]} used by the "
                f"municipalities; it has {sorted(regions['name'])}",
            )
    problems.raise_if_any()
    assert regions is not None and selected is not None

    codes = set(selected["code"])
    cut = {
        name: frame[frame["municipality"].isin(codes)].reset_index(drop=True)
        for name, frame in raw.items()
    }
    for name in (FIRE_STATIONS.name,):
        if cut[name].empty:
            problems.add(
                _field(name, "path"),
                provenance.get(name),
                "the selected municipalities hold no fire station; at least one is needed",
            )
    problems.raise_if_any()
    regions = regions[regions["name"].isin(set(selected["region"]))].reset_index(drop=True)
    return RegionData(
        municipalities=selected.reset_index(drop=True),
        demand_points=cut[DEMAND_POINTS.name],
        fire_stations=cut[FIRE_STATIONS.name],
        support_point_candidates=cut["support_point_candidates"],
        regions=regions,
        provenance=provenance,
        context_municipalities=all_municipalities.reset_index(drop=True),
    )


# --- reading -----------------------------------------------------------------------------


def _read_layer(
    schema: LayerSchema, spec: GeodataSpec, problems: Problems, provenance: dict[str, str]
) -> gpd.GeoDataFrame | None:
    source = spec.source(schema.name)
    path = Path(source.path) if source.path is not None else spec.geopackage
    where = _field(schema.name, "path") if source.path is not None else "region.geopackage"
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
                _field(schema.name, "layer"),
                None,
                f"{path.name} holds layers {available}; name the one to use",
            )
            return None
    elif layer_name not in available:
        problems.add(_field(schema.name, "layer"), layer_name, f"must be one of {available}")
        return None
    try:
        frame = gpd.read_file(path, layer=layer_name, engine="pyogrio")
    except Exception as exc:
        problems.add(where, str(path), f"layer {layer_name!r} could not be read ({exc})")
        return None
    provenance[schema.name] = f"{path}#{layer_name}"
    frame = _to_rd_new(frame, schema.name, source, path, problems)
    if frame is None:
        return None
    return _rename(frame, schema, source, path, problems)


def _to_rd_new(
    frame: gpd.GeoDataFrame, layer: str, source: LayerSource, path: Path, problems: Problems
) -> gpd.GeoDataFrame | None:
    """Declare or check the source CRS, reject impossible coordinates, reproject."""
    crs_field = _field(layer, "crs")
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


def _rename(
    frame: gpd.GeoDataFrame, schema: LayerSchema, source: LayerSource, path: Path,
    problems: Problems,
) -> gpd.GeoDataFrame | None:
    missing = [c for c in source.columns if c not in frame.columns]
    if missing:
        hint = "" if source.path is not None else (
            f" ({_field(schema.name, 'path')} is null, so the layer is read from "
            f"region.geopackage; set the path of the file these columns belong to)"
        )
        problems.add(
            _field(schema.name, "columns"),
            dict(source.columns),
            f"{path.name} has no column {missing}; its columns are "
            f"{[c for c in frame.columns if c != 'geometry']}{hint}",
        )
        return None
    known = set(schema.columns)
    unknown_targets = [t for t in source.columns.values() if t not in known]
    if unknown_targets:
        problems.add(
            _field(schema.name, "columns"),
            dict(source.columns),
            f"maps to unknown column(s) {unknown_targets}; allowed targets are {sorted(known)}",
        )
        return None
    renamed = frame.rename(columns=dict(source.columns))
    # A mapped column replaces a same-named one in the file.
    return renamed.loc[:, ~renamed.columns.duplicated(keep="last")]


# --- checking ----------------------------------------------------------------------------

_FID_COLUMNS = ("fid", "ogc_fid", "objectid")


def _fill_from_table(
    frame: gpd.GeoDataFrame, spec: GeodataSpec, problems: Problems
) -> gpd.GeoDataFrame:
    """Fill region/population columns absent from a municipality file from the table."""
    missing = [c for c in ("name", "region", "population", "population_year")
               if c not in frame.columns]
    if not missing or "code" not in frame.columns:
        return frame
    table_path = spec.municipality_table
    if table_path is None:
        return frame  # the required-column check names what is missing
    if not Path(table_path).is_file():
        problems.add("region.municipality_table", str(table_path), "must be an existing CSV file")
        return frame
    table = pd.read_csv(table_path, dtype={"cbs_code": str}).rename(
        columns={"cbs_code": "code", "municipality": "name"}
    )
    need = {"code", *missing}
    if not need <= set(table.columns):
        problems.add(
            "region.municipality_table",
            str(table_path),
            f"must have columns {sorted(need)}; it has {list(table.columns)}",
        )
        return frame
    merged = frame.merge(table[["code", *missing]], on="code", how="inner")
    if len(merged) < len(frame):
        log.info("%d municipalities of the file are not in %s and are left out",
                 len(frame) - len(merged), Path(table_path).name)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=frame.crs)


def _check_layer(
    frame: gpd.GeoDataFrame, schema: LayerSchema, spec: GeodataSpec, problems: Problems
) -> gpd.GeoDataFrame | None:
    """Required columns, types, ids, geometry; returns the layer with its schema's columns."""
    name = schema.name
    absent = [c for c in schema.required if c not in frame.columns]
    if absent:
        problems.add(
            _field(name, "columns"),
            dict(spec.source(name).columns),
            f"layer {name} lacks required column(s) {absent}; the layer has "
            f"{[c for c in frame.columns if c != 'geometry']}; map a column to each with "
            f"{_field(name, 'columns')}",
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
            bad = frame.loc[values.isna(), schema.id_column].astype(str).tolist()[:_MAX_LISTED]
            problems.add(f"{name}.{column}", None, f"must not be empty; empty for {bad}")
            ok = False
            continue
        try:
            frame[column] = _cast(values, kind)
        except (TypeError, ValueError):
            problems.add(
                f"{name}.{column}",
                values.iloc[0],
                f"must be of type {kind}; got values such as {values.head(3).tolist()}",
            )
            ok = False
    if not ok:
        return None
    ids = frame[schema.id_column]
    dupes = sorted(set(ids[ids.duplicated()].astype(str)))
    if dupes:
        problems.add(f"{name}.{schema.id_column}", dupes[:_MAX_LISTED], "ids must be unique")
    negative = False
    for column, kind in kinds.items():
        if kind in ("int", "float") and (frame[column] < 0).any():
            bad = frame.loc[frame[column] < 0, schema.id_column].astype(str).tolist()
            problems.add(f"{name}.{column}", frame[column].min().item(),
                         f"must be >= 0; negative for {bad[:_MAX_LISTED]}")
            negative = True
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.add(f"{name}.geometry", ids[empty].astype(str).tolist()[:_MAX_LISTED],
                     "features without geometry (null or empty) are not allowed")
    allowed = ("Point",) if schema.geometry == "point" else ("Polygon", "MultiPolygon")
    wrong = ~empty & ~geom.geom_type.isin(allowed)
    if wrong.any():
        problems.add(f"{name}.geometry", sorted(set(geom[wrong].geom_type)),
                     f"geometry type must be {' or '.join(allowed)}")
    invalid = ~empty & ~wrong & ~geom.is_valid
    if invalid.any():
        if spec.repair_geometries:
            frame.loc[invalid, "geometry"] = shapely.make_valid(geom[invalid].to_numpy())
        else:
            reasons = shapely.is_valid_reason(geom[invalid].to_numpy())[:3]
            problems.add(
                f"{name}.geometry",
                ids[invalid].astype(str).tolist()[:_MAX_LISTED],
                f"invalid geometries ({'; '.join(reasons)}); fix them or set "
                "region.repair_geometries=true",
            )
    if dupes or negative or empty.any() or wrong.any() or (
            invalid.any() and not spec.repair_geometries):
        return None
    # Extra columns ride along, except the files' own feature ids (a GeoPackage keeps its own).
    keep = [c for c in frame.columns if c != "geometry" and c.lower() not in _FID_COLUMNS]
    return frame[[*keep, "geometry"]]


def _cast(values: pd.Series, kind: str) -> pd.Series:
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


def _select(
    municipalities: gpd.GeoDataFrame, spec: GeodataSpec, problems: Problems
) -> gpd.GeoDataFrame | None:
    keep = pd.Series(True, index=municipalities.index)
    if spec.select_codes:
        unknown = sorted(set(spec.select_codes) - set(municipalities["code"]))
        if unknown:
            problems.add("region.select.codes", unknown[:_MAX_LISTED],
                         f"codes not in the municipalities layer (it has {len(municipalities)} "
                         f"codes, such as {municipalities['code'].head(3).tolist()}; a file "
                         "without population columns keeps only the codes of "
                         "region.municipality_table)")
        keep &= municipalities["code"].isin(spec.select_codes)
    if spec.select_regions:
        known = set(municipalities["region"])
        unknown = sorted(set(spec.select_regions) - known)
        if unknown:
            problems.add("region.select.regions", unknown, f"must be among {sorted(known)}")
        keep &= municipalities["region"].isin(spec.select_regions)
    if not keep.any():
        problems.add("region.select", {"codes": list(spec.select_codes),
                                       "regions": list(spec.select_regions)},
                     "selects no municipality")
        return None
    return municipalities[keep]


def _assign_municipality(
    points: gpd.GeoDataFrame, schema: LayerSchema, municipalities: gpd.GeoDataFrame,
    spec: GeodataSpec, problems: Problems,
) -> gpd.GeoDataFrame:
    """Set each point's municipality and region from the polygon it lies in (snap if close)."""
    polys = municipalities.geometry.to_numpy()
    tree = shapely.STRtree(polys)
    point_idx, poly_idx = tree.query(points.geometry.to_numpy(), predicate="intersects")
    first = pd.Series(poly_idx, index=point_idx).groupby(level=0).min()
    hit = np.full(len(points), -1, dtype=np.int64)
    hit[first.index.to_numpy()] = first.to_numpy()
    outside = np.flatnonzero(hit < 0)
    if len(outside) and spec.snap_tolerance_m > 0:
        near, dist = tree.query_nearest(
            points.geometry.to_numpy()[outside], return_distance=True, all_matches=False
        )
        close = dist <= spec.snap_tolerance_m
        hit[outside[near[0][close]]] = near[1][close]
    outside = np.flatnonzero(hit < 0)
    if len(outside):
        ids = points[schema.id_column].iloc[outside].astype(str).tolist()
        problems.add(
            f"{schema.name}.geometry",
            ids[:_MAX_LISTED],
            f"{len(ids)} point(s) lie outside every municipality (more than "
            f"region.snap_tolerance_m = {spec.snap_tolerance_m:g} m away)",
        )
        return points
    out = points.copy()
    codes = municipalities["code"].to_numpy()[hit]
    if "municipality" in out.columns:
        moved = int((out["municipality"].astype(str).to_numpy() != codes).sum())
        if moved:
            log.warning("%s: %d point(s) lie in another municipality than their "
                        "'municipality' field says; the location wins", schema.name, moved)
    out["municipality"] = codes
    out["region"] = municipalities["region"].to_numpy()[hit]
    columns = [*schema.columns, *[c for c in out.columns
                                  if c not in schema.columns and c != "geometry"]]
    return out[[*columns, "geometry"]]


def _synthesize(
    municipalities: gpd.GeoDataFrame, spec: GeodataSpec, problems: Problems
) -> dict[str, gpd.GeoDataFrame] | None:
    table_path = spec.municipality_table
    if table_path is None or not Path(table_path).is_file():
        problems.add("region.municipality_table", None if table_path is None else str(table_path),
                     "needed to synthesize point layers; or give every point layer a path")
        return None
    table = read_source_table(Path(table_path))
    codes = set(municipalities["code"])
    unknown = sorted(codes - set(table["cbs_code"]))
    known = municipalities[municipalities["code"].isin(set(table["cbs_code"]))]
    if known.empty:
        problems.add(
            "region.layers.fire_stations.path", None,
            f"point layers can only be synthesized for municipalities in {Path(table_path).name} "
            f"and none of the loaded ones is ({unknown[:3]}…); give the point layers a path",
        )
        return None
    if unknown:
        log.info("no synthetic points for %d municipalities outside the source table", len(unknown))
    # The table's own population is replaced by the layer's, so points sum to it.
    table = table[table["cbs_code"].isin(codes)].copy()
    population = dict(zip(known["code"], known["population"], strict=True))
    table["population"] = table["cbs_code"].map(population).astype("int64")
    layers = build_layers(table, spec.synthesis, boundaries=dict(
        zip(known["code"], known.geometry, strict=True)))
    return {s.name: layers[s.name] for s in POINT_LAYERS}


def _derive_regions(municipalities: gpd.GeoDataFrame, spec: GeodataSpec) -> gpd.GeoDataFrame:
    shapes = municipalities.dissolve(by="region", sort=True)
    names = shapes.index.to_numpy()
    out = gpd.GeoDataFrame({"name": names.astype(str)}, geometry=shapes.geometry.to_numpy(),
                           crs=municipalities.crs)
    out["code"] = ""
    out["full_name"] = ""
    if spec.municipality_table is not None and Path(spec.municipality_table).is_file():
        table = pd.read_csv(spec.municipality_table)
        if {"region", "region_code", "region_name"} <= set(table.columns):
            info = table.groupby("region").first()
            out["code"] = out["name"].map(info["region_code"]).fillna("")
            out["full_name"] = out["name"].map(info["region_name"]).fillna("")
    return out[["name", "code", "full_name", "geometry"]]
