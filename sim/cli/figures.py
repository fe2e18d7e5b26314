"""``blackout-sim-figures``: draw researchers' figures and GIS layers from run folders.

No model run: reads finished run or sweep folders (see ``sim.research.figures``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from sim.config.overrides import with_overrides
from sim.errors import InputError
from sim.research.figures import (
    default_config,
    draw_run,
    draw_runs,
    find_runs,
    municipality_codes,
    remove_stale,
    settings_from,
)


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
        folders = [r for p in paths for r in find_runs(p)]
        first = yaml.safe_load((folders[0] / "config.yaml").read_text(encoding="utf-8"))
        # The run's own settings, but drawing is what the command is for.
        base = {**(first.get("research") or default_config()), "figures": True, "gis": True}
        # Only a single run's figures include the timeline of a named municipality.
        settings = settings_from(with_overrides(base, overrides, "research"),
                                 municipality_codes(folders[0]) if len(folders) == 1 else None)
        if len(folders) == 1 and args.compare is None:
            written = draw_run(folders[0], settings, args.out)
        else:
            out = args.out
            if out is None:
                if len(paths) != 1 or find_runs(paths[0]) == [paths[0]]:
                    parser.error("several run folders: say where the combined figures go "
                                 "with --out (the default is only for one sweep folder)")
                out = paths[0] / "figures"
            written = draw_runs(paths, settings, out, args.compare)
            if args.out is None:
                remove_stale(out, written)
    except (InputError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyError as exc:
        print(f"error: a run folder lacks {exc} (written by an older version?)",
              file=sys.stderr)
        sys.exit(2)
    where = sorted({str(p.parent) for p in written})
    print(f"{len(written)} files from {len(folders)} run(s) written to "
          f"{', '.join(where) or 'nowhere (figures=false gis=false)'}")


if __name__ == "__main__":
    main()
