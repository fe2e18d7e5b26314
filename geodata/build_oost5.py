"""Rebuild the embedded Oost-5 GeoPackage from the committed source table.

Usage (from the project root)::

    python geodata/build_oost5.py            # writes geodata/oost5.gpkg
    python geodata/build_oost5.py --out X.gpkg --seed 7

The build is deterministic: the same table and settings give the same layers
(see ``sim.geo.synthetic``). Shares and counts can be overridden here; the run
configuration can also override the backup-power shares without a rebuild.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.geo.io import write_geopackage
from sim.geo.synthetic import LAYER_METADATA, BuildSettings, build_layers, read_source_table
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=EMBEDDED_SOURCE_TABLE)
    parser.add_argument("--out", type=Path, default=EMBEDDED_GEOPACKAGE)
    parser.add_argument("--seed", type=int, default=BuildSettings().seed)
    args = parser.parse_args(argv)
    layers = build_layers(read_source_table(args.table), BuildSettings(seed=args.seed))
    write_geopackage(layers, args.out, metadata=LAYER_METADATA)
    for name, frame in layers.items():
        print(f"{name}: {len(frame)} features")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
