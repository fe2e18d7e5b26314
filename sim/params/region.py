"""Parameters of the region: where the geodata comes from, and road travel over it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from sim.geo.load import GeodataSpec
from sim.geo.network import NetworkParams
from sim.geo.read import LayerSource
from sim.geo.schema import LAYER_NAMES
from sim.geo.settings import BuildSettings
from sim.params.reader import Reader
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE


def read_network(c: Reader) -> NetworkParams:
    """``region.network``: detours, speeds and when two municipalities border."""
    return NetworkParams(
        detour_factor=c.number("region.network.detour_factor", lo=1.0, hi=3.0),
        road_speed_kmh=c.number("region.network.road_speed_kmh", lo=0, hi=130, lo_open=True),
        local_speed_kmh=c.number("region.network.local_speed_kmh", lo=0, hi=130, lo_open=True),
        border_tolerance_m=c.number("region.network.border_tolerance_m", lo=0, hi=1000),
        min_shared_border_m=c.number("region.network.min_shared_border_m", lo=0, hi=10_000),
    )


def read_geodata_spec(c: Reader) -> GeodataSpec:
    """``region``: the files, their layers and columns, the selection."""
    sources: dict[str, LayerSource] = {}
    for layer in LAYER_NAMES:
        base = f"region.layers.{layer}"
        path = c.optional_text(f"{base}.path")
        columns = c.get(f"{base}.columns")
        if columns is c.ABSENT or columns is None:
            columns = {}
        if not isinstance(columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            c.problems.add(f"{base}.columns", columns,
                           "must map source column names to canonical column names")
            columns = {}
        sources[layer] = LayerSource(
            path=Path(path).expanduser() if path else None,
            layer=c.optional_text(f"{base}.layer"),
            crs=c.optional_text(f"{base}.crs"),
            columns=MappingProxyType(dict(columns)),
        )
    gpkg = c.optional_text("region.geopackage")
    table = c.optional_text("region.municipality_table")
    return GeodataSpec(
        geopackage=Path(gpkg).expanduser() if gpkg else EMBEDDED_GEOPACKAGE,
        sources=MappingProxyType(sources),
        municipality_table=Path(table).expanduser() if table else EMBEDDED_SOURCE_TABLE,
        select_codes=c.codes("region.select.codes"),
        select_regions=c.codes("region.select.regions"),
        snap_tolerance_m=c.number("region.snap_tolerance_m", lo=0, hi=5000),
        repair_geometries=c.flag("region.repair_geometries"),
        synthesis=BuildSettings(),
    )

