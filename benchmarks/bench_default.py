"""Benchmark: the default Oost-5 run against a reference loop of bare SimPy timeouts.

Composes the default config exactly as ``python -m sim`` does (Hydra, ``configs/``
and ``scenarios/``), prepares the scenario once (timed and reported apart), then
alternates, ``--repeat`` times, a reference loop of one million ``env.timeout(1)``
in a single process and one whole replication (``sim.results.run.run``: model and
indicators). Prints per-repeat figures, medians, events processed and peak memory.

Targets: the replication takes at most 3 times the reference loop, and the
process stays under 1 GiB. Nothing is written; the exit status is 0 unless
``--check`` is given and a target is missed.

With ``--scenario nederland`` (or another preset) the benchmark times that
scenario too, alternating with the default Oost-5 run in the same process: the
target is at most 6 times the Oost-5 run and under 4 GiB peak memory.

    python benchmarks/bench_default.py [--repeat N] [--tracemalloc] [--check]
    python benchmarks/bench_default.py --scenario nederland [--repeat N] [--check]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Generator, Sequence
from typing import Any

import simpy
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from sim.cli.main import register_configs
from sim.params.scenario import Scenario
from sim.params.validate import prepare
from sim.paths import CONFIG_DIR
from sim.results.run import RunResult, run

#: Timeouts in the reference loop.
REFERENCE_TIMEOUTS = 1_000_000
#: Target: one replication in at most this many reference loops.
MAX_RATIO = 3.0
#: Target: peak resident memory of the process, MiB.
MAX_PEAK_MIB = 1024.0
#: Targets with ``--scenario``: its run in at most this many Oost-5 runs, and its memory.
MAX_SCENARIO_RATIO = 6.0
MAX_SCENARIO_PEAK_MIB = 4096.0


def default_config(overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The config as ``python -m sim`` composes and resolves it, as a plain dict."""
    register_configs()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(k): v for k, v in container.items()}


def _ticker(env: simpy.Environment, n: int) -> Generator[simpy.Event, None, None]:
    for _ in range(n):
        yield env.timeout(1)


def reference_loop(n: int = REFERENCE_TIMEOUTS) -> float:
    """Seconds for one SimPy process to yield ``n`` unit timeouts."""
    env = simpy.Environment()
    env.process(_ticker(env, n))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def timed_run(scenario: Scenario) -> tuple[float, RunResult]:
    """Seconds for one whole replication, and its result."""
    t0 = time.perf_counter()
    result = run(scenario)
    return time.perf_counter() - t0, result


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="alternating repeats (default 5)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also trace Python allocations over one extra (slower) run")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--scenario", default=None,
                    help="also time this preset (e.g. nederland) against the Oost-5 run")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.scenario is not None:
        return compare_scenario(args.scenario, args.repeat, args.check)

    t0 = time.perf_counter()
    cfg = default_config()
    t_compose = time.perf_counter() - t0
    t0 = time.perf_counter()
    scenario = prepare(cfg)
    t_prepare = time.perf_counter() - t0
    print(f"scenario {scenario.params.name}, seed {scenario.params.seed}, "
          f"horizon {scenario.params.horizon_h:g} h, "
          f"{len(scenario.region.municipalities)} municipalities")
    print(f"compose config {t_compose:.3f} s, prepare (validation + geodata) {t_prepare:.3f} s")
    print(f"peak RSS after prepare {peak_rss_mib():.0f} MiB")
    print()
    print(f"{'repeat':>6} {'ref s':>8} {'run s':>8} {'run/ref':>8} {'events':>9}")

    refs: list[float] = []
    runs: list[float] = []
    ratios: list[float] = []
    events: set[int] = set()
    for i in range(args.repeat):
        gc.collect()
        ref = reference_loop()
        gc.collect()
        elapsed, result = timed_run(scenario)
        n = result.model.events_processed
        del result
        refs.append(ref)
        runs.append(elapsed)
        ratios.append(elapsed / ref)
        events.add(n)
        print(f"{i + 1:>6} {ref:>8.3f} {elapsed:>8.3f} {elapsed / ref:>8.2f} {n:>9,}")

    ratio = statistics.median(ratios)
    peak = peak_rss_mib()
    print(f"{'median':>6} {statistics.median(refs):>8.3f} {statistics.median(runs):>8.3f} "
          f"{ratio:>8.2f}")
    print()
    events_text = ", ".join(f"{n:,}" for n in sorted(events))
    print(f"events processed per run: {events_text}"
          + ("" if len(events) == 1 else "  (differs between repeats!)"))
    print(f"reference loop: {REFERENCE_TIMEOUTS:,} timeouts, "
          f"{REFERENCE_TIMEOUTS / statistics.median(refs) / 1e6:.2f} M events/s")
    print(f"peak RSS (whole process, ru_maxrss): {peak:.0f} MiB")
    if args.tracemalloc:
        gc.collect()
        tracemalloc.start()
        run(scenario)
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc peak over one run (Python allocations only): "
              f"{traced / 2**20:.0f} MiB")

    ratio_ok = ratio <= MAX_RATIO
    memory_ok = peak < MAX_PEAK_MIB
    print()
    print(f"target run/ref <= {MAX_RATIO:g}: {'met' if ratio_ok else 'MISSED'} ({ratio:.2f})")
    print(f"target peak < {MAX_PEAK_MIB:.0f} MiB: {'met' if memory_ok else 'MISSED'} "
          f"({peak:.0f} MiB)")
    return 1 if args.check and not (ratio_ok and memory_ok) else 0


def compare_scenario(name: str, repeat: int, check: bool) -> int:
    """Time the preset ``name`` against the default Oost-5 run, alternating, and report."""
    base = prepare(default_config())
    t0 = time.perf_counter()
    other = prepare(default_config([f"scenarios={name}"]))
    t_prepare = time.perf_counter() - t0
    residents = int(other.region.municipalities["population"].sum())
    print(f"scenario {other.params.name}: {len(other.region.municipalities)} municipalities, "
          f"{residents:,} residents, {len(other.region.fire_stations)} fire stations, "
          f"{len(other.region.support_point_candidates)} candidate points, horizon "
          f"{other.params.horizon_h:g} h; prepare {t_prepare:.2f} s")
    print(f"{'repeat':>6} {'ref s':>8} {'oost5 s':>8} {name + ' s':>12} {'ratio':>7}")
    rows = []
    for i in range(repeat):
        gc.collect()
        ref = reference_loop()
        gc.collect()
        t_base, result = timed_run(base)
        del result
        gc.collect()
        t_other, result = timed_run(other)
        del result
        rows.append((ref, t_base, t_other, t_other / t_base))
        print(f"{i + 1:>6} {ref:>8.3f} {t_base:>8.3f} {t_other:>12.3f} {t_other / t_base:>7.2f}")
    med = [statistics.median(r[k] for r in rows) for k in range(4)]
    print(f"{'median':>6} {med[0]:>8.3f} {med[1]:>8.3f} {med[2]:>12.3f} {med[3]:>7.2f}")
    peak = peak_rss_mib()
    print(f"{name} run / reference loop: {med[2] / med[0]:.2f}")
    print(f"peak RSS (whole process, ru_maxrss): {peak:.0f} MiB")
    ratio_ok = med[3] <= MAX_SCENARIO_RATIO
    memory_ok = peak < MAX_SCENARIO_PEAK_MIB
    print()
    print(f"target {name}/oost5 <= {MAX_SCENARIO_RATIO:g}: "
          f"{'met' if ratio_ok else 'MISSED'} ({med[3]:.2f})")
    print(f"target peak < {MAX_SCENARIO_PEAK_MIB:.0f} MiB: {'met' if memory_ok else 'MISSED'} "
          f"({peak:.0f} MiB)")
    return 1 if check and not (ratio_ok and memory_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
