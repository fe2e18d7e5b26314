"""Running model runs as Slurm tasks: sizing, environment, and waiting without accounting.

Shared by the sweeps' launcher (``hydra/launcher=slurm``) and by the plan search
and the sensitivity study (``plan.launcher=slurm``, ``sens.launcher=slurm``), so
all three size their tasks, start them in this environment and notice lost
tasks the same way:

- :func:`size`: a task's time limit and memory from the municipalities simulated
  and the horizon (a national run gets more than an Oost-5 one);
- :func:`environment_setup`: shell lines that start a task in the environment
  this command runs in;
- :func:`wait_for`: waits for submitted tasks without Slurm's accounting
  (``sacct`` is often not offered to users, and submitit then waits for ever on a
  cancelled task): a task is done when its result file appears, and lost when
  ``squeue`` no longer lists it and no result came within ``lost_after_s``;
- :func:`log_reason`: why Slurm ended a task (cancelled, time limit, out of
  memory), from the lines it writes into the task's log.
"""

from __future__ import annotations

import contextlib
import getpass
import math
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: Municipalities in the country and safety regions (CBS 2025): a run whose area is
#: given by regions is sized by the average of 13.7 municipalities per region.
MUNICIPALITIES, REGIONS = 342, 25
#: One run's wall time and peak memory grow with the municipalities simulated and
#: the horizon. Measured with the default settings (figures and GIS layers on) on a
#: 2-core machine, 168 h: Oost-5 (52 municipalities) 8 s and 0.48 GB, the whole
#: country (342) 24 s and 1.38 GB. (fixed, per municipality):
SECONDS = (2.0, 0.07)
GIGABYTES = (0.35, 0.0031)
#: Margins of the limits asked for over the estimates: slower nodes, busy file systems.
TIME_MARGIN, MEMORY_MARGIN = 60.0, 2.0
#: The smallest limits asked for: scheduling and Python's start-up need some.
MIN_TIMEOUT_MIN, MIN_MEM_GB = 10, 2

#: Seconds before its time limit that Slurm warns a task (``--signal``): the run stops
#: there and is reported lost at its time limit. submitit's default (90 s; Hydra's
#: 120 s) would end every task that much early; 30 s is enough to write the report.
SIGNAL_DELAY_S = 30

#: What Slurm writes into a task's log when it ends the task, and what that means.
_SLURM_REASONS = (
    (re.compile(r"DUE TO TIME LIMIT|TIMEOUT", re.I), "killed at its time limit (timeout_min)"),
    (re.compile(r"oom[-_ ]kill|out of memory|Exceeded job memory limit", re.I),
     "killed out of memory (mem_gb)"),
    (re.compile(r"DUE TO PREEMPTION", re.I), "preempted"),
    (re.compile(r"DUE TO NODE FAILURE|NODE_FAIL", re.I), "its node failed"),
    (re.compile(r"CANCELLED", re.I), "cancelled (scancel)"),
)
#: A task whose interpreter could not be started (``python`` or ``setup`` wrong on the nodes).
_NO_INTERPRETER = re.compile(r"execve\(\)[^\n]*|^.*: No such file or directory$", re.M)


class LostRuns(RuntimeError):
    """Cluster tasks that ended without a result; the runs that ended are stored."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(
            f"{len(self.reasons)} cluster tasks ended without a result:\n"
            + "\n".join(f"  - {r}" for r in self.reasons)
            + "\nthe runs that ended are kept; give the same command again to run only the "
              "missing ones")


def municipalities(codes: Sequence[str], regions: Sequence[str]) -> int:
    """How many municipalities a run simulates, from its ``region.select``."""
    if codes:
        return len(codes)
    if regions:
        return math.ceil(len(regions) * MUNICIPALITIES / REGIONS)
    return MUNICIPALITIES


def size(n_municipalities: int, horizon_h: float, runs: int = 1) -> tuple[int, int]:
    """Time limit (minutes) and memory (GB) for ``runs`` runs one after the other."""
    scale = max(1.0, float(horizon_h) / 168.0)
    seconds = (SECONDS[0] + SECONDS[1] * n_municipalities) * scale * runs
    gigabytes = (GIGABYTES[0] + GIGABYTES[1] * n_municipalities) * scale
    return (max(MIN_TIMEOUT_MIN, math.ceil(seconds * TIME_MARGIN / 60.0)),
            max(MIN_MEM_GB, math.ceil(gigabytes * MEMORY_MARGIN)))


def environment_setup() -> list[str]:
    """Shell lines that start a task in the environment this command runs in.

    The virtual environment's ``activate`` script where there is one, else its
    ``bin`` first on ``PATH``; and the project root the configs are read from.
    """
    from sim.paths import PROJECT_ROOT

    prefix = Path(sys.prefix)
    activate = prefix / "bin" / "activate"
    lines = ([f"source {shlex.quote(str(activate))}"] if activate.is_file()
             else [f'export PATH={shlex.quote(str(prefix / "bin"))}:"$PATH"'])
    lines.append(f"export SIM_PROJECT_ROOT={shlex.quote(str(PROJECT_ROOT))}")
    return lines


def partitions() -> list[str] | None:
    """The cluster's partitions (``sinfo``), the default one first; None if it cannot say."""
    try:
        out = subprocess.run(["sinfo", "--noheader", "--format=%P"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = [line.strip() for line in out.splitlines() if line.strip()]
    return sorted({n.rstrip("*") for n in names}, key=lambda n: (f"{n}*" not in names, n))


def partition_problem(name: str | None) -> str | None:
    """Why ``name`` is not a partition of this cluster (None: it is, or cannot be checked)."""
    known = partitions()
    if name is None or known is None or name in known or not known:
        return None
    return "is not a partition of this cluster; allowed: " + ", ".join(known) + " (sinfo)"


def node_limits(partition: str | None) -> tuple[int, int, str] | None:
    """The most CPUs and memory (MB) a node of the partition has, and whether it is up.

    From ``sinfo`` (the default partition when None); None if it cannot say.
    """
    command = ["sinfo", "--noheader", "--format=%c %m %a"]
    if partition:
        command.append(f"--partition={partition}")
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [line.split() for line in out.splitlines() if len(line.split()) == 3]
    try:
        cpus = max(int(r[0].rstrip("+")) for r in rows)
        memory = max(int(r[1].rstrip("+")) for r in rows)
    except ValueError:  # no rows, or a format this Slurm writes otherwise
        return None
    return cpus, memory, "up" if any(r[2] == "up" for r in rows) else rows[0][2]


def queue() -> dict[str, tuple[str, str]] | None:
    """Tasks of this user still pending or running (``squeue``): id -> (state, reason).

    None if ``squeue`` cannot be asked (not installed, no ``SLURM_CONF``, the controller
    down): then nothing can be said of the tasks.
    """
    try:
        out = subprocess.run(["squeue", "--noheader", "--array", "--format=%i %T %r",
                              f"--user={getpass.getuser()}"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    tasks = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if parts:
            tasks[parts[0]] = (parts[1] if len(parts) > 1 else "",
                               parts[2].strip() if len(parts) > 2 else "")
    return tasks


def queued_slurm_ids() -> set[str] | None:
    """Slurm tasks of this user still pending or running (``squeue``); None if it cannot say."""
    tasks = queue()
    return None if tasks is None else set(tasks)


def slurm_state(slurm_id: str) -> str | None:
    """A task's state as Slurm still knows it (``CANCELLED``, ``TIMEOUT``...), else None.

    ``squeue --states=all`` lists ended tasks for a few minutes (``MinJobAge``);
    ``sacct`` is asked next, where accounting is offered.
    """
    for command in (["squeue", "--noheader", "--states=all", "--format=%T", f"--jobs={slurm_id}"],
                    ["sacct", "--noheader", "--parsable2", "--format=State", "--jobs", slurm_id]):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                 check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        states = [line.split()[0] for line in out.splitlines() if line.strip()]
        if states:
            return states[0]
    return None


def log_reason(*logs: str | Path, slurm_id: str | None = None) -> str:
    """Why Slurm ended a task: from its log files, else from the state Slurm still knows."""
    text = ""
    for name in logs:
        try:
            text += Path(name).read_text(encoding="utf-8", errors="replace")[-20_000:]
        except OSError:
            continue
    for pattern, reason in _SLURM_REASONS:
        if pattern.search(text):
            return reason
    if "UncompletedJobError" in text or "not requeued" in text:
        return stopped_reason(text)
    missing = _NO_INTERPRETER.search(text)
    if missing:
        return ("its interpreter could not be started on the node (hydra.launcher.python or "
                f"setup): {missing.group(0).strip()[:300]}")
    state = slurm_state(slurm_id) if slurm_id else None
    if state is not None:
        for pattern, reason in _SLURM_REASONS:
            if pattern.search(state):
                return reason + ("" if text.strip() else ", before it started")
    last = [line for line in text.splitlines() if line.strip()]
    if last:
        return "ended without a result; the last line of its log: " + last[-1].strip()[:300]
    return ("never started (no log): cancelled while pending, most likely (scancel); "
            + (f"Slurm says {state}" if state else "Slurm keeps no record of it"))


def stopped_reason(message: str) -> str:
    """Why submitit stopped a task on Slurm's warning signal (``UncompletedJobError``)."""
    if "timed-out" in message or "timed out" in message:
        return ("killed at its time limit (timeout_min): Slurm's warning came "
                "signal_delay_s before the limit and the run stopped there")
    return "preempted (Slurm's warning signal came before its time limit)"


def failure_reason(job: Any, exc: BaseException) -> str:
    """A short reason for a task whose result is submitit's error, not a run's."""
    text = str(exc)
    if "UncompletedJobError" in text or "not requeued" in text:
        return f"Slurm task {job.job_id}: {stopped_reason(text)}"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f"Slurm task {job.job_id}: submitit: {lines[-1].strip() if lines else exc}"


#: Why Slurm holds a pending task that it will never start as asked (``squeue %r``):
#: the request exceeds what the partition or the account allows.
NEVER_STARTS = {
    "PartitionConfig": "it asks more than the partition allows (cpus_per_task, mem_gb, "
                       "timeout_min or nodes: see sinfo)",
    "PartitionNodeLimit": "it asks more nodes than the partition allows",
    "PartitionTimeLimit": "its timeout_min exceeds the partition's time limit (sinfo)",
    "BadConstraints": "no node offers what it asks (cpus_per_task, mem_gb, constraint)",
    "AccountNotAllowed": "the account may not use this partition",
    "QOSNotAllowed": "the QOS may not use this partition",
    "InvalidAccount": "the account is not valid",
    "InvalidQOS": "the QOS is not valid",
    "DependencyNeverSatisfied": "it depends on a task that failed",
}
#: Seconds between the lines that say how many tasks wait, and why.
REPORT_EVERY_S = 60.0


def _cancel(slurm_id: str) -> None:
    """``scancel`` a task Slurm will never start (so it does not hold a place in the queue)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["scancel", slurm_id], capture_output=True, timeout=60, check=False)


def queue_line(tasks: Sequence[tuple[str, str]]) -> str:
    """``3 running, 5 pending (Priority: 4, PartitionDown: 1)``, for tasks (state, reason)."""
    running = sum(1 for state, _ in tasks if state == "RUNNING")
    waiting: dict[str, int] = {}
    for state, reason in tasks:
        if state == "PENDING":
            waiting[reason or "unknown"] = waiting.get(reason or "unknown", 0) + 1
    text = f"{running} running, {sum(waiting.values())} pending"
    if waiting:
        text += " (" + ", ".join(f"{r}: {n}" for r, n in sorted(waiting.items())) + ")"
    return text


def wait_for(jobs: Sequence[Any], poll_s: float = 10.0, lost_after_s: float = 60.0,
             say: Any = None) -> Iterator[tuple[int, str | None]]:
    """Wait for submitit's Slurm ``jobs``; yield (index, None) when done, (index, why) if lost.

    Every job is yielded once, in the order they end. A task that Slurm holds for a
    reason it will never overcome (:data:`NEVER_STARTS`, for ``lost_after_s``) is
    cancelled and lost with that reason. ``say(line)``, if given, hears how many
    tasks run and wait (and why) when that changes, at most once a minute.
    """
    pending = dict(enumerate(jobs))
    gone_since: dict[int, float] = {}
    stuck_since: dict[int, float] = {}
    said, said_at = "", -REPORT_EVERY_S
    while pending:
        queued = queue()
        now = time.monotonic()
        if pending and say is not None and queued is not None:
            line = queue_line([queued[str(j.job_id)] for j in pending.values()
                               if str(j.job_id) in queued])
            if line != said and now - said_at >= REPORT_EVERY_S:
                say(f"[slurm] {line}")
                said, said_at = line, now
        for i, job in list(pending.items()):
            slurm_id = str(job.job_id)
            state, reason = (queued or {}).get(slurm_id, ("", ""))
            if job.paths.result_pickle.exists():
                del pending[i]
                yield i, None
            elif queued is not None and slurm_id not in queued:
                # Gone from the queue: its result may still be on its way (shared disks).
                if now - gone_since.setdefault(i, now) >= lost_after_s:
                    del pending[i]
                    why = log_reason(job.paths.stderr, job.paths.stdout, slurm_id=slurm_id)
                    yield i, f"Slurm task {slurm_id}: {why}" + _log_note(job.paths.stderr)
            elif state == "PENDING" and reason in NEVER_STARTS:
                if now - stuck_since.setdefault(i, now) >= lost_after_s:
                    del pending[i]
                    _cancel(slurm_id)
                    yield i, (f"Slurm task {slurm_id}: Slurm will never start it ({reason}: "
                              f"{NEVER_STARTS[reason]}); cancelled")
            else:
                gone_since.pop(i, None)
                stuck_since.pop(i, None)
        if pending:
            time.sleep(poll_s)


def _log_note(path: str | Path) -> str:
    """``; log <path>`` where the log exists (a task that never started has none)."""
    return f"; log {path}" if Path(path).is_file() else ""
