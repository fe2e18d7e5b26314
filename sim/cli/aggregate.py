"""``blackout-sim-aggregate <sweep folder>``: gather a sweep into tables and figures.

Works on a sweep that is still running or was interrupted; exits with status 1
naming the failed and lost jobs (with the command that reruns only them) if any,
or when jobs ran on Slurm and ``squeue`` cannot be asked here (``unknown``), and 2
when the folder cannot be read. ``--rerun-command`` prints only that command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.cli.multirun import plan_from_multirun
from sim.sweeps.aggregate import aggregate
from sim.sweeps.tables import report


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: ``blackout-sim-aggregate``."""
    parser = argparse.ArgumentParser(
        prog="blackout-sim-aggregate",
        description="Gather a sweep folder (also one still running or interrupted) into "
                    "one table with a row per job, a summary per parameter combination "
                    "with 95 % confidence intervals over seeds, and figures.")
    parser.add_argument("folder", type=Path, help="the sweep folder (results/sweeps/...)")
    parser.add_argument("--indicator", action="append", dest="indicators", metavar="NAME",
                        help="an indicator to draw (a column of sweep_results.csv); "
                             "repeat for more; default: the headline indicators")
    parser.add_argument("--no-figures", action="store_true", help="write the tables only")
    parser.add_argument("--rerun-command", action="store_true",
                        help="print only the command that reruns the jobs that failed or "
                             "were lost (on stdout; if there are none, stdout stays empty "
                             "and stderr says so)")
    args = parser.parse_args(argv)
    folder = args.folder
    is_sweep = (folder / "multirun.yaml").is_file() or (folder / "jobs.json").is_file() or any(
        (job / "status.json").is_file() for job in folder.glob("*") if job.is_dir())
    if folder.exists() and not is_sweep:  # a missing folder is named as such below
        print(f"error: invalid input:\n  - folder = {str(folder)!r}: not a sweep folder (one "
              "with multirun.yaml or job folders holding status.json, under results/sweeps)",
              file=sys.stderr)
        sys.exit(2)
    try:
        tables = aggregate(args.folder, args.indicators, figures=not args.no_figures,
                           rebuild=plan_from_multirun)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    try:
        if args.rerun_command:
            command = tables.rerun()
            if command is not None:
                print(command)
            else:  # on stderr: stdout stays empty for a script that runs what it prints
                running = int((tables.results["status"] == "running").sum())
                print(f"nothing to rerun: {len(tables.results)} jobs, none failed or lost"
                      + (f" ({running} still running)" if running else ""), file=sys.stderr)
        else:
            print(report(tables))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; the tables are written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if tables.failed or tables.lost or tables.unknown:
        sys.exit(1)


if __name__ == "__main__":
    main()
