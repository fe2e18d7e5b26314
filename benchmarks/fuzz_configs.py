"""Run the fuzz test of valid configs with many examples (default 1,000) and print figures.

    python benchmarks/fuzz_configs.py [--examples 1000]

Each example is one run of a random valid config (``tests/test_fuzz.py``); the
model's invariants (``sim.results.invariants``) must hold in every one. Prints
the number of examples, the wall time, the time per example and the outcome.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the fuzz test and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    args = parser.parse_args()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly",
                           "-p", "no:cacheprovider", str(ROOT / "tests" / "test_fuzz.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    last = [line for line in proc.stdout.splitlines() if line.strip()][-1:]
    print(f"examples: {args.examples}")
    print(f"wall time: {wall:.0f} s ({wall / args.examples:.2f} s per example, one process)")
    print(f"outcome: {'all invariants held' if proc.returncode == 0 else 'FAILED'} "
          f"({last[0] if last else proc.returncode})")
    if proc.returncode:
        print(proc.stdout[-4000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
