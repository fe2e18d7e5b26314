"""Benchmark: model runs per minute of the batch commands, and their README examples.

Evaluations: composes the default Oost-5 scenario, pre-screens it, and times the
evaluation of ``--packages`` packages (uniform packages of the pre-screen) over
``--seeds`` seeds, once on one process and once on every core, ``--repeat``
times alternating; prints model runs per minute and packages per minute (each
package is ``--seeds`` runs), medians and the parallel speed-up.

``--acceptance`` also times the README's acceptance example: the whole
``blackout-sim-plan plan.budget_eur=9.3e6`` with the default plan settings (160
packages x 4 seeds), in a temporary folder. Target: under 30 minutes on this
2-core machine. ``--sensitivity`` times the README's sensitivity example
(``blackout-sim-sensitivity`` on the default Oost-5: Morris screen over the whole
register, Sobol' indices of the top six, ten seed runs).

The runs are the same for both commands (``sim.results.batch``), so the runs per
minute hold for both.

    python benchmarks/bench_plan.py [--repeat N] [--packages K] [--seeds S]
                                    [--acceptance] [--sensitivity]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_default import default_config

from sim.params.validate import prepare
from sim.plan.screen import screen
from sim.plan.space import uniform
from sim.results.batch import EvaluationStore, evaluate_all

#: Target of the acceptance example, minutes.
MAX_ACCEPTANCE_MIN = 30.0


def time_evaluations(cfg: dict, jobs: list[tuple[str, dict]], seeds: list[int],
                     n_jobs: int) -> float:
    """Seconds to run every (package, seed) once, from an empty store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = EvaluationStore(Path(tmp) / "e.jsonl")
        t0 = time.perf_counter()
        evaluate_all(cfg, jobs, seeds, store, n_jobs)
        return time.perf_counter() - t0


def timed_command(module_and_args: list[str], tmp: Path) -> float:
    """Seconds ``python -m <module> <args> --out <tmp>/out`` takes; exit on its failure."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", *module_and_args, "--out", str(tmp / "out"),
                           f"results_dir={tmp}"], capture_output=True, text=True, cwd=tmp)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        sys.exit(proc.returncode)
    return time.perf_counter() - t0


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--acceptance", action="store_true")
    parser.add_argument("--sensitivity", action="store_true")
    args = parser.parse_args()
    cfg = default_config()
    base = prepare(cfg)
    sc = screen(base, 0.9)
    regions = tuple(sorted(sc.regions))
    packages = [uniform(regions, round(k / max(args.packages - 1, 1), 6), 0.0, k % 3, k % 2,
                        8.0) for k in range(args.packages)]
    jobs = [(p.key, p.overrides(sc, base.params)) for p in packages]
    seeds = [base.params.seed + i for i in range(args.seeds)]
    runs = len({p.key for p in packages}) * len(seeds)
    cores = os.cpu_count() or 1
    one, every = [], []
    for _ in range(args.repeat):
        one.append(time_evaluations(cfg, jobs, seeds, 1))
        every.append(time_evaluations(cfg, jobs, seeds, cores))
        print(f"  {runs} runs: 1 process {one[-1]:.1f} s, {cores} processes {every[-1]:.1f} s",
              flush=True)
    m1, mn = statistics.median(one), statistics.median(every)
    print(f"model runs per minute (median of {args.repeat}): 1 process {60 * runs / m1:.1f}, "
          f"{cores} processes {60 * runs / mn:.1f} (speed-up {m1 / mn:.2f})")
    print(f"packages per minute with {args.seeds} seeds each, {cores} processes: "
          f"{60 * runs / mn / args.seeds:.1f}; with the default 4 seeds: "
          f"{60 * runs / mn / 4:.1f}")
    if args.acceptance:
        with tempfile.TemporaryDirectory() as tmp:
            wall = timed_command(["sim.cli.plan", "plan.budget_eur=9.3e6"], Path(tmp))
            lines = (Path(tmp) / "out" / "trials.csv").read_text().splitlines()
        print(f"acceptance example (Oost-5, EUR 9.3 million, 160 packages x 4 seeds): "
              f"{wall / 60:.1f} min for {len(lines) - 2} distinct packages "
              f"(target under {MAX_ACCEPTANCE_MIN:g} min)")
    if args.sensitivity:
        with tempfile.TemporaryDirectory() as tmp:
            wall = timed_command(["sim.cli.sensitivity"], Path(tmp))
            runs = len((Path(tmp) / "out" / "evaluations.jsonl").read_text().splitlines())
        print(f"sensitivity example (Oost-5, default settings): {wall / 60:.1f} min for "
              f"{runs} model runs ({60 * runs / wall:.1f} a minute)")


if __name__ == "__main__":
    main()
