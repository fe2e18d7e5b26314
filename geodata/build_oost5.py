"""Rebuild the embedded Oost-5 GeoPackage from the committed source table.

Usage (from the project root)::

    python geodata/build_oost5.py                  # writes geodata/oost5.gpkg
    python geodata/build_oost5.py --out X.gpkg --seed 7 --backup-share Twente=0.6

The build is deterministic: the same table and settings give the same file
(see ``sim.geo.synthetic``; every number it uses is in ``BuildSettings`` with
its source). The run configuration can also redraw backup power per region
(``stations.backup_power=shares``) without a rebuild.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.geo.synthetic import LAYER_METADATA, BuildSettings, build_layers, read_source_table
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=EMBEDDED_SOURCE_TABLE)
    parser.add_argument("--out", type=Path, default=EMBEDDED_GEOPACKAGE)
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
    settings = BuildSettings(seed=args.seed, backup_power_share=shares)
    layers = build_layers(read_source_table(args.table), settings)
    write_geopackage(layers, args.out, metadata=LAYER_METADATA)
    for name, frame in layers.items():
        print(f"{name}: {len(frame)} features")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
