"""Build the embedded national GeoPackage from the CBS/PDOK boundary files and the tables.

Usage (from the project root; the boundary files are not part of the project)::

    python geodata/build.py --municipalities ../shared/geodata/gemeente_2025_rd.geojson \
        --regions ../shared/geodata/veiligheidsregio_2025_wgs84.geojson
    # options: --out X.gpkg --seed 7 --tolerance 75 --backup-share Twente=0.6

Reads the 2025 municipal boundaries (RD New metres; the file states no CRS, so it is
declared with ``--municipalities-crs``, default EPSG:28992) and the safety regions
(WGS84 by default; an invalid polygon is repaired), simplifies the municipalities as
one coverage (``--tolerance`` metres, default 50), checks them against the municipal
table (``geodata/source/nl_municipalities_2025.csv``: codes and safety regions) and
places the synthetic point layers inside the real polygons (``sim.geo.synthetic``).
Deterministic: the same files and settings give the same GeoPackage byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.geo.boundaries import SIMPLIFY_TOLERANCE_M, check_regions, read_boundaries, simplify
from sim.geo.settings import LAYER_METADATA, BuildSettings, read_source_table
from sim.geo.synthetic import build_layers
from sim.geo.write import write_geopackage
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE


def _share(text: str) -> tuple[str, float]:
    region, sep, value = text.partition("=")
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not sep or not region or not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(
            f"--backup-share {text!r}: expected REGION=SHARE with a share from 0 to 1"
        )
    return region, share


def main(argv: list[str] | None = None) -> None:
    """Read, check, simplify, build and write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=Path, required=True,
                        help="CBS/PDOK municipal boundaries 2025 (GeoJSON, GeoPackage)")
    parser.add_argument("--municipalities-crs", default="EPSG:28992",
                        help="CRS of that file's coordinates (default EPSG:28992)")
    parser.add_argument("--regions", type=Path, required=True,
                        help="CBS/PDOK safety regions 2025")
    parser.add_argument("--regions-crs", default="EPSG:4326",
                        help="CRS of that file's coordinates (default EPSG:4326)")
    parser.add_argument("--table", type=Path, default=EMBEDDED_SOURCE_TABLE)
    parser.add_argument("--out", type=Path, default=EMBEDDED_GEOPACKAGE)
    parser.add_argument("--tolerance", type=float, default=SIMPLIFY_TOLERANCE_M,
                        help="simplification tolerance in metres (default %(default)g)")
    parser.add_argument("--seed", type=int, default=BuildSettings().seed)
    parser.add_argument("--backup-share", type=_share, action="append", default=[],
                        metavar="REGION=SHARE",
                        help="share of fire stations with backup power in a safety region")
    args = parser.parse_args(argv)
    defaults = BuildSettings()
    shares = {**defaults.backup_power_share, **dict(args.backup_share)}
    unknown = sorted(set(shares) - set(defaults.backup_power_share))
    if unknown:
        parser.error(f"--backup-share: unknown region(s) {unknown}; "
                     f"known: {sorted(defaults.backup_power_share)}")
    for path in (args.municipalities, args.regions, args.table):
        if not path.is_file():
            parser.error(f"{path}: no such file")

    table = read_source_table(args.table)
    boundaries = read_boundaries(args.municipalities, args.regions,
                                 args.municipalities_crs, args.regions_crs)
    check_regions(boundaries, table)
    simplified = simplify(boundaries.municipalities, args.tolerance)
    settings = BuildSettings(seed=args.seed, backup_power_share=shares)
    layers = build_layers(table, dict(zip(simplified["code"], simplified.geometry,
                                          strict=True)), settings)
    write_geopackage(layers, args.out, metadata=LAYER_METADATA)
    for name, frame in layers.items():
        print(f"{name}: {len(frame)} features")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
