"""``blackout-sim-injects <run folder> [key=value ...]``: an MSEL from a finished run.

``blackout-sim-injects --list teams|regions|municipalities|sites <run folder>``
prints what the settings can name, with codes and names.

The settings are the run's own ``injects`` config (``config.yaml``), or the
defaults in ``configs/injects/default.yaml`` when the run has none, changed by
``key=value`` arguments in Hydra's syntax, as ``python -m sim injects.<key>=...``
takes them (``teams=[rot:VNOG,gbt:GM0200]``, ``segments=[{from_h:2,to_h:6}]``,
``language=en``). The MSEL goes to
``<run folder>/injects`` (or ``--out``), which must not exist yet. Bad settings
exit with status 2 and a message naming each problem; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException

from sim.errors import InputError, Problem
from sim.injects.generate import generate
from sim.injects.msel import count_by
from sim.injects.names import LISTS, names_table
from sim.injects.safety import printable
from sim.injects.sources import load_run


def as_yaml(overrides: Sequence[str]) -> list[str]:
    """Overrides in Hydra's syntax (as ``python -m sim`` takes them) with values as JSON.

    ``segments=[{from_h:2,to_h:4}]`` means the same here as in ``python -m sim
    injects.segments=...``; sweeps are refused (one MSEL per command).
    """
    parser = OverridesParser.create()
    parsed = []
    for text in overrides:  # one by one: a bad one is named by its own key
        try:
            parsed.extend(parser.parse_overrides([text]))
        except OverrideParseException as exc:
            key, _, value = text.partition("=")
            first = printable(str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
            raise InputError([Problem(printable(key) or "overrides", printable(value),
                                      f"cannot be read as key=value in Hydra's syntax "
                                      f"(quote values with special characters): {first}")]
                             ) from exc
    out = []
    for o in parsed:
        if o.is_sweep_override():
            raise InputError([Problem(o.key_or_group, o.input_line, "one value per key: an "
                                      "MSEL is made from one setting (no sweeps)")])
        out.append(f"{o.key_or_group}={json.dumps(o.value(), default=str)}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    parser = argparse.ArgumentParser(
        prog="blackout-sim-injects",
        description="Generate a Master Scenario Events List (injects) for an exercise from a "
                    "finished run folder: Excel, CSV, JSON and printable cards, for "
                    "controllers and for players.")
    parser.add_argument("run_folder", type=Path, help="a run folder written by python -m sim")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="change a setting of configs/injects, e.g. language=en")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: <run folder>/injects; must not exist)")
    parser.add_argument("--list", choices=LISTS, default=None, dest="listing",
                        help="print the teams, safety regions, municipalities or sites the "
                             "settings can name (codes and names), and write nothing")
    args = parser.parse_intermixed_args(argv)
    if args.listing:
        try:
            run = load_run(args.run_folder)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        try:
            table = names_table(run, args.listing).map(printable)
            print(table.to_string(index=False))
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    try:
        target, injects, settings = generate(args.run_folder, as_yaml(args.overrides),
                                             args.out)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except (FileNotFoundError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # --out through a file, or where we may not write
        print(f"error: invalid input:\n  - --out = {str(args.out)!r}: cannot write there "
              f"({exc.strerror}); allowed: a new folder in a place you may write",
              file=sys.stderr)
        sys.exit(2)
    tracks = ", ".join(f"{printable(k)} {v}"
                       for k, v in sorted(count_by(injects, "track").items()))
    print(f"{len(injects)} injects from {settings.clock.start:%Y-%m-%d %H:%M} to "
          f"{settings.clock.end():%H:%M} written to {target} ({tracks})")


if __name__ == "__main__":
    main()
