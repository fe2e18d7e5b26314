"""Load, check and select the geodata layers, from the embedded GeoPackage or user files.

Every layer can come from its own file (GeoPackage, GeoJSON, Shapefile) with a
column mapping, for example the CBS/PDOK ``statcode``/``statnaam``. Everything
is reprojected to EPSG:28992 (``sim.geo.read``). Problems are collected over
all layers and raised together as one :class:`~sim.errors.InputError`, so a
user sees everything wrong with their files at once.

Where municipalities come from a user file but a point layer does not, the
points are synthesized inside the loaded polygons by the same deterministic
builder as the embedded data (for municipalities in the embedded source table).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sim.errors import Problems
from sim.geo.read import (
    MAX_LISTED,
    LayerSource,
    check_layer,
    fill_from_table,
    layer_field,
    read_csv_table,
    read_layer,
)
from sim.geo.schema import (
    DEMAND_POINTS,
    FIRE_STATIONS,
    MUNICIPALITIES,
    POINT_LAYERS,
    REGIONS,
    SCHEMAS,
    LayerSchema,
)
from sim.geo.settings import (
    REGION_ALIASES,
    BuildSettings,
    read_source_table,
    region_key,
    stations_per_region,
)
from sim.geo.stations import choose_coordination_points
from sim.geo.synthetic import build_layers

log = logging.getLogger(__name__)


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
    #: Every way to name a loaded safety region (code, name, short name; case-folded)
    #: to its short name, the one the layers use (see :func:`region_names`).
    region_names: Mapping[str, str] = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The five layers by their canonical name."""
        return {name: getattr(self, name) for name in SCHEMAS}


def load_region(spec: GeodataSpec) -> RegionData:
    """Load every layer, check it and cut it to the selection; raise all problems at once."""
    problems = Problems()
    provenance: dict[str, str] = {}
    raw: dict[str, gpd.GeoDataFrame] = {}
    user_municipalities = spec.source(MUNICIPALITIES.name).path is not None

    def check(frame: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame | None:
        return check_layer(frame, schema, spec.source(schema.name), spec.repair_geometries,
                           problems)

    # Municipalities first: the point layers are joined to them.
    frame = read_layer(MUNICIPALITIES, spec.source(MUNICIPALITIES.name), spec.geopackage,
                       problems, provenance)
    if frame is not None:
        frame = fill_from_table(frame, spec.municipality_table, problems)
        if problems.about("region.municipality_table"):
            problems.raise_if_any()  # anything further would only follow from it
        frame = check(frame, MUNICIPALITIES)
    if frame is None:
        problems.raise_if_any()
        raise AssertionError("unreachable: municipalities failed without a problem")
    all_municipalities = frame

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
        layer = read_layer(schema, source, spec.geopackage, problems, provenance)
        unmarked = layer is not None and "is_coordination_point" not in layer.columns
        no_crews = layer is not None and not {"crew_volunteer", "crew_professional"} & set(
            layer.columns)
        if layer is not None:
            layer = check(layer, schema)
        if layer is not None:
            raw[schema.name] = _assign_municipality(
                layer, schema, all_municipalities, spec, problems
            )
            if schema is FIRE_STATIONS:
                raw[schema.name] = _coordination_points(raw[schema.name], unmarked,
                                                        provenance)
                if no_crews:
                    raw[schema.name] = _average_crews(raw[schema.name], all_municipalities,
                                                      spec.synthesis, provenance)

    regions: gpd.GeoDataFrame | None
    if spec.source(REGIONS.name).path is None and user_municipalities:
        regions = _derive_regions(all_municipalities, spec)
        provenance[REGIONS.name] = "derived by dissolving the municipalities"
    else:
        regions = read_layer(REGIONS, spec.source(REGIONS.name), spec.geopackage, problems,
                             provenance)
        if regions is not None:
            regions = check(regions, REGIONS)
    if regions is not None:
        unknown = sorted(set(all_municipalities["region"]) - set(regions["name"]))
        if unknown:
            problems.add(
                layer_field(REGIONS.name, "path"),
                provenance.get(REGIONS.name),
                f"the regions layer has no region named {unknown[:MAX_LISTED]} used by the "
                f"municipalities; it has {sorted(regions['name'])}",
            )
    names = region_names(regions) if regions is not None else {}
    selected = _select(all_municipalities, spec, names, problems)
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
                layer_field(name, "path"),
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
        region_names=names,
    )


def _coordination_points(stations: gpd.GeoDataFrame, unmarked: bool,
                         provenance: dict[str, str]) -> gpd.GeoDataFrame:
    """A station file that does not say which stations coordinate gets one per municipality.

    Chosen as ``stations.coordination_points=prefer_backup`` would: backup power
    first, then the largest crew. A file that marks none is kept, with a warning.
    """
    name = FIRE_STATIONS.name
    if unmarked:
        log.info("%s: the file has no is_coordination_point column; one station per "
                 "municipality is chosen as coordination point (backup power first, then the "
                 "largest crew)", name)
        provenance[f"{name}.is_coordination_point"] = (
            "chosen, one per municipality (the file marks none)")
        return choose_coordination_points(stations)
    if len(stations) and not stations["is_coordination_point"].any():
        log.warning("%s: no station is marked is_coordination_point; the run has no "
                    "coordination points (stations.coordination_points=prefer_backup chooses "
                    "one per municipality)", name)
    return stations


def _average_crews(stations: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame,
                   settings: BuildSettings, provenance: dict[str, str]) -> gpd.GeoDataFrame:
    """A station file without crews gets its region's average crew per station.

    The operational firefighters per safety region (CBS, as the build uses them)
    over the region's stations, professionals and volunteers apart (ESTIMATE:
    spread evenly). Without them every post would have nobody to staff it.
    """
    name = FIRE_STATIONS.name
    try:
        counts = stations_per_region(municipalities, settings)
    except ValueError:
        counts = {}
    out = stations.copy()
    filled = 0
    for region, (professional, volunteer) in settings.crew_per_region.items():
        mine = (out["region"] == region).to_numpy()
        n = counts.get(region, 0)
        if not n or not mine.any():
            continue
        out.loc[mine, "crew_professional"] = round(professional / n)
        out.loc[mine, "crew_volunteer"] = round(volunteer / n)
        filled += int(mine.sum())
    if filled < len(out):
        log.warning("%s: the file has no crew columns and %d station(s) lie in regions without "
                    "crew figures; they have no crew (map crew_volunteer and crew_professional)",
                    name, len(out) - filled)
    if filled:
        log.info("%s: the file has no crew columns; %d station(s) get their region's average "
                 "crew per station (CBS operational firefighters)", name, filled)
        provenance[f"{name}.crews"] = ("the region's average per station (CBS 71482ned, "
                                       "1 Jan 2019; spread evenly: ESTIMATE)")
    return out


def region_names(regions: gpd.GeoDataFrame) -> dict[str, str]:
    """Every name of each region, case-folded, to its short name.

    Its code (VR07), full name (Gelderland-Midden) and short name (VGGM).
    """
    out: dict[str, str] = {}
    for column in ("code", "full_name", "name"):
        if column not in regions.columns:
            continue
        for alias, name in zip(regions[column], regions["name"], strict=True):
            if isinstance(alias, str) and alias.strip():
                out[region_key(alias)] = str(name)
                for other in REGION_ALIASES.get(alias.strip(), ()):
                    out[region_key(other)] = str(name)
    return out


def resolve_regions(given: Sequence[str], names: Mapping[str, str], key: str,
                    problems: Problems) -> list[str]:
    """Region codes or names as their short names; unknown ones are problems."""
    out: list[str] = []
    unknown: list[str] = []
    for g in given:
        name = names.get(region_key(g))
        if name is None:
            unknown.append(str(g))
        elif name not in out:
            out.append(name)
    if unknown:
        problems.add(key, unknown, "must be safety regions by code, name or short name: "
                     f"{region_help(names)}")
    return out


def region_help(names: Mapping[str, str]) -> str:
    """The allowed region names, short enough for an error message."""
    short = sorted(set(names.values()))
    codes = sorted(a.upper() for a in names if a.startswith("vr") and a[2:].isdigit())
    text = ", ".join(short)
    return f"{text} (or codes {codes[0]}-{codes[-1]})" if codes else text


def _select(
    municipalities: gpd.GeoDataFrame, spec: GeodataSpec, names: Mapping[str, str],
    problems: Problems,
) -> gpd.GeoDataFrame | None:
    """Municipalities by code (when given, the codes are the selection) or by region."""
    if spec.select_codes:
        unknown = sorted(set(spec.select_codes) - set(municipalities["code"]))
        if unknown:
            problems.add("region.select.codes", unknown[:MAX_LISTED],
                         f"codes not in the municipalities layer (it has {len(municipalities)} "
                         f"codes, such as {municipalities['code'].head(3).tolist()}; a file "
                         "without population columns keeps only the codes of "
                         "region.municipality_table)")
        keep = municipalities["code"].isin(spec.select_codes)
    elif spec.select_regions:
        wanted = resolve_regions(spec.select_regions, names or {
            region_key(r): str(r) for r in municipalities["region"]},
            "region.select.regions", problems)
        keep = municipalities["region"].isin(wanted)
    else:
        keep = pd.Series(True, index=municipalities.index)
    if not keep.any():
        if not problems.items:
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
            ids[:MAX_LISTED],
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
    layers = build_layers(table, dict(zip(known["code"], known.geometry, strict=True)),
                          spec.synthesis)
    return {s.name: layers[s.name] for s in POINT_LAYERS}


def _derive_regions(municipalities: gpd.GeoDataFrame, spec: GeodataSpec) -> gpd.GeoDataFrame:
    shapes = municipalities.dissolve(by="region", sort=True)
    names = shapes.index.to_numpy()
    out = gpd.GeoDataFrame({"name": names.astype(str)}, geometry=shapes.geometry.to_numpy(),
                           crs=municipalities.crs)
    out["code"] = ""
    out["full_name"] = ""
    table = read_csv_table(spec.municipality_table, "region.municipality_table", Problems()) \
        if spec.municipality_table is not None and Path(spec.municipality_table).is_file() \
        else None
    if table is not None:
        table = table.rename(
            columns={"safety_region": "region_code", "safety_region_name": "region_name"})
        if {"region", "region_code", "region_name"} <= set(table.columns):
            info = table.groupby("region").first()
            out["code"] = out["name"].map(info["region_code"]).fillna("")
            out["full_name"] = out["name"].map(info["region_name"]).fillna("")
    return out[["name", "code", "full_name", "geometry"]]
