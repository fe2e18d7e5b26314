"""``blackout-sim-figures``: draw researchers' figures and GIS layers from run folders.

No model run: reads finished run or sweep folders (see ``sim.research.figures``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import InputError
from sim.research.figures import redraw


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: ``blackout-sim-figures``."""
    parser = argparse.ArgumentParser(
        prog="blackout-sim-figures",
        description="Draw the researchers' coverage maps, curves and timelines, and write the "
                    "coverage GIS layers, from finished run folders (no model run).")
    parser.add_argument("items", nargs="+", metavar="folder | key=value",
                        help="run folders or sweep folders (their runs; several are combined), "
                             "and changes to the settings of configs/research, e.g. map_hour=48")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (one run: default <run folder>/figures; several: "
                             "default <first folder>/figures)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), default=None,
                        help="draw a difference map B minus A; each a folder or key=value "
                             "selecting runs by their config, e.g. stations.backup_share=1.0")
    args = parser.parse_intermixed_args(argv)
    paths = [Path(i) for i in args.items if "=" not in i]
    overrides = [i for i in args.items if "=" in i]
    if not paths:
        parser.error("give at least one run folder or sweep folder")
    try:
        written, folders = redraw(paths, overrides, args.out, args.compare)
    except (InputError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyError as exc:
        print(f"error: a run folder lacks {exc} (written by an older version?)",
              file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # --out through a file, or where we may not write
        print(f"error: invalid input:\n  - --out: cannot write to {exc.filename!s} "
              f"({exc.strerror}); allowed: a folder in a place you may write", file=sys.stderr)
        sys.exit(2)
    where = sorted({str(p.parent) for p in written})
    print(f"{len(written)} files from {folders} run(s) written to "
          f"{', '.join(where) or 'nowhere (figures=false gis=false)'}")


if __name__ == "__main__":
    main()
