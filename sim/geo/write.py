"""Writing geodata files: GeoPackages written atomically and byte-for-byte reproducibly."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

#: A fixed timestamp for GeoPackage bookkeeping, so rebuilding gives identical files.
_GPKG_DATE = "2025-05-13T00:00:00Z"


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``layers`` to one GeoPackage atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # the driver creates the file itself
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    try:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
        for name, frame in layers.items():
            description = (metadata or {}).get(name)
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                append=tmp.exists(),
                layer_metadata={"DESCRIPTION": description} if description else None,
            )
        os.replace(tmp, path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
        if tmp.exists():
            tmp.unlink()

