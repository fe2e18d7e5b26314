"""A sweep job's ``status.json``: whether it completed or failed (and why), and its overrides.

Every job writes one when it ends, so a failed job is isolated and named, and a
sweep still running or interrupted can be gathered (jobs without one are
``running``).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.results.files import dump_json, write_text_atomic

#: The file a job folder holds besides its run files.
STATUS_FILE = "status.json"


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process so far, in MB (None where it cannot be asked).

    A job that ran alone in its process (a cluster task, a one-job sweep) is measured
    exactly; a worker that ran several jobs reports the largest of them so far.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def write_status(run_dir: Path, overrides: Sequence[str], status: str, started: float,
                 error: BaseException | None = None) -> None:
    """Write ``status.json``: completed or failed (with the error), overrides, wall time.

    Also the peak memory of the process that ran the job (:func:`peak_memory_mb`).
    ``started``: ``time.perf_counter()`` when the job began. Bad input is named by its
    message; any other error also keeps its traceback.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "status": status,
        "overrides": list(overrides),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "peak_memory_mb": peak_memory_mb(),
        "finished_utc": datetime.now(UTC).isoformat(),
        "error": None if error is None else f"{type(error).__name__}: {error}",
    }
    if error is not None and not isinstance(error, InputError):
        data["traceback"] = "".join(traceback.format_exception(error))
    write_text_atomic(run_dir / STATUS_FILE, dump_json(data))


def write_lost(run_dir: Path, overrides: Sequence[str], reason: str) -> None:
    """Write ``status.json`` for a job whose task ended without a result (``lost``)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    data = {"status": "lost", "overrides": list(overrides), "wall_time_s": None,
            "finished_utc": datetime.now(UTC).isoformat(), "error": reason}
    write_text_atomic(run_dir / STATUS_FILE, dump_json(data))


def count_finished(folder: Path) -> tuple[int, int, int]:
    """Jobs of a sweep folder that completed, failed, and were lost, by their status."""
    done = failed = lost = 0
    for status in folder.glob(f"*/{STATUS_FILE}"):
        try:
            state = json.loads(status.read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError):
            continue  # being replaced, or gone: counted on the next look
        if state == "completed":
            done += 1
        elif state == "lost":
            lost += 1
        else:
            failed += 1
    return done, failed, lost
