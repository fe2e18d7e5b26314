"""What a sweep was asked to run, and which of its jobs were lost.

Before any job starts, the sweeper (``hydra/sweeper=composing``) writes
``jobs.json`` into the sweep folder: every job's number and overrides, the
command's own overrides (to rerun it), and the main process (host, pid); it
adds the time the sweep ended when the launcher returns. The cluster launcher
(``hydra/launcher=slurm``) writes ``slurm_jobs.json``: each job's Slurm task
and where its log is.

Gathering compares the job folders with that list. A job that wrote no
``status.json`` is

- ``running`` while its Slurm task is still queued or running (``squeue``), or,
  without a Slurm task, while the sweep's main process still runs;
- ``unknown`` when it had a Slurm task and ``squeue`` cannot be asked here;
- ``lost`` otherwise: cancelled, killed past its time limit or out of memory,
  its node failed, or the sweep stopped before it ran. The reason is taken from
  the task's log where Slurm wrote one there.

A launcher that sees a task end without a result writes the job's
``status.json`` as ``lost`` with that reason. :func:`rerun_command` gives the
command that reruns only the jobs that did not complete. The module reads and
writes files and asks ``squeue``; it does not import Hydra (the command line
rebuilds the job list of a folder whose ``jobs.json`` is gone: ``read_plan``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.cluster import log_reason, queued_slurm_ids
from sim.results.files import dump_json, process_alive, write_text_atomic

JOBS_FILE = "jobs.json"
SLURM_FILE = "slurm_jobs.json"
#: Overrides of the original command that a rerun replaces.
_RERUN_KEYS = ("hydra.sweep.dir", "hydra.sweeper.resume", "hydra.mode")
#: A value Hydra reads as it is, without quotes.
_PLAIN_VALUE = re.compile(r"[\w/.\-:+@%~]+")

@dataclass(frozen=True)
class SweepPlan:
    """``jobs.json``: a sweep's jobs and how it was started."""

    jobs: dict[int, list[str]]
    task_overrides: list[str] = field(default_factory=list)
    hydra_overrides: list[str] = field(default_factory=list)
    host: str = ""
    pid: int = 0
    ended: str | None = None
    #: The interpreter the sweep ran in (the rerun command uses it).
    python: str = ""
    #: Rebuilt from ``multirun.yaml`` because ``jobs.json`` is missing.
    rebuilt: bool = False
    #: Hydra's own flags of the command (``--config-dir <absolute path>``...).
    flags: list[str] = field(default_factory=list)


def write_plan(folder: Path, jobs: Sequence[tuple[int, Sequence[str]]],
               task_overrides: Sequence[str], hydra_overrides: Sequence[str]) -> None:
    """Write ``jobs.json``: every job of the sweep, before any of them runs."""
    data = {"jobs": [{"job": n, "overrides": list(o)} for n, o in jobs],
            "task_overrides": list(task_overrides), "hydra_overrides": list(hydra_overrides),
            "host": socket.gethostname(), "pid": os.getpid(), "ended": None,
            "python": sys.executable, "flags": hydra_flags(sys.argv[1:])}
    Path(folder).mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(folder) / JOBS_FILE, dump_json(data))


def mark_ended(folder: Path) -> None:
    """Note in ``jobs.json`` that the sweep's launcher has returned."""
    path = Path(folder) / JOBS_FILE
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        data["ended"] = datetime.now(UTC).isoformat()
        write_text_atomic(path, dump_json(data))


def read_plan(folder: Path, rebuild: Callable[[Path], SweepPlan | None] | None = None
              ) -> SweepPlan | None:
    """``jobs.json`` of a sweep folder; else ``rebuild(folder)`` if given; else None.

    The command line gives ``sim.cli.multirun.plan_from_multirun``, which rebuilds
    the job list from Hydra's ``multirun.yaml`` when ``jobs.json`` is gone.
    """
    path = Path(folder) / JOBS_FILE
    if not path.is_file():
        return rebuild(folder) if rebuild is not None else None
    data = json.loads(path.read_text(encoding="utf-8"))
    return SweepPlan(jobs={int(j["job"]): [str(o) for o in j["overrides"]] for j in data["jobs"]},
                     task_overrides=[str(o) for o in data.get("task_overrides", [])],
                     hydra_overrides=[str(o) for o in data.get("hydra_overrides", [])],
                     host=str(data.get("host", "")), pid=int(data.get("pid", 0)),
                     ended=data.get("ended"), python=str(data.get("python", "")),
                     flags=[str(f) for f in data.get("flags", [])])


#: Hydra's flags that take a value and say where the configs are.
_HYDRA_FLAGS = {"--config-dir": "dir", "-cd": "dir", "--config-path": "path", "-cp": "path",
                "--config-name": "name", "-cn": "name"}


def hydra_flags(argv: Sequence[str]) -> list[str]:
    """The config flags of a command line (``--config-dir`` made absolute), to give again."""
    out: list[str] = []
    args = list(argv)
    for i, arg in enumerate(args):
        flag, eq, value = arg.partition("=")
        if flag not in _HYDRA_FLAGS:
            continue
        if not eq:
            if i + 1 >= len(args):
                continue
            value = args[i + 1]
        if _HYDRA_FLAGS[flag] == "dir":
            value = str(Path(value).expanduser().absolute())
        out += [flag, value]
    return out


@dataclass(frozen=True)
class SlurmTask:
    """Where a job ran on Slurm: its task id (``<array>_<index>``) and its log files."""

    job: int
    slurm_id: str
    stderr: str
    stdout: str
    #: The limits the task had (0: not recorded).
    timeout_min: int = 0
    mem_gb: int = 0


def write_slurm_tasks(folder: Path, tasks: Iterable[SlurmTask]) -> None:
    """Add tasks to ``slurm_jobs.json`` (a rerun's tasks replace the earlier ones)."""
    known = read_slurm_tasks(folder)
    known.update({t.job: t for t in tasks})
    data = [{"job": t.job, "slurm_id": t.slurm_id, "stderr": t.stderr, "stdout": t.stdout,
             "timeout_min": t.timeout_min, "mem_gb": t.mem_gb} for _, t in sorted(known.items())]
    write_text_atomic(Path(folder) / SLURM_FILE, dump_json(data))


def read_slurm_tasks(folder: Path) -> dict[int, SlurmTask]:
    """The Slurm task of each job, by job number (empty when not run on Slurm)."""
    path = Path(folder) / SLURM_FILE
    if not path.is_file():
        return {}
    return {int(t["job"]): SlurmTask(int(t["job"]), str(t["slurm_id"]), str(t["stderr"]),
                                     str(t["stdout"]), int(t.get("timeout_min") or 0),
                                     int(t.get("mem_gb") or 0))
            for t in json.loads(path.read_text(encoding="utf-8"))}


def task_reason(task: SlurmTask) -> str:
    """``Slurm task 12_3: cancelled (scancel); log ...``, from the task's log files."""
    why = log_reason(task.stderr, task.stdout, slurm_id=task.slurm_id)
    return f"Slurm task {task.slurm_id}: {why}" + (f"; log {task.stderr}"
                                                  if Path(task.stderr).is_file() else "")


def _process_alive(host: str, pid: int) -> bool:
    """Whether the sweep's main process still runs (assumed so on another host)."""
    return host != socket.gethostname() or process_alive(pid)


def without_status(folder: Path, plan: SweepPlan, jobs: Iterable[int]
                   ) -> dict[int, tuple[str, str]]:
    """``running`` or ``lost`` (with the reason) for jobs that wrote no status."""
    jobs = list(jobs)
    if not jobs:
        return {}
    tasks = read_slurm_tasks(folder)
    queued = queued_slurm_ids() if any(j in tasks for j in jobs) else None
    sweep_runs = plan.ended is None and _process_alive(plan.host, plan.pid)
    out: dict[int, tuple[str, str]] = {}
    for job in jobs:
        task = tasks.get(job)
        if task is not None and queued is not None:
            out[job] = (("running", f"Slurm task {task.slurm_id} is queued or running")
                        if task.slurm_id in queued else ("lost", task_reason(task)))
        elif sweep_runs:
            out[job] = ("running", "")
        elif task is not None:
            out[job] = ("unknown", f"Slurm task {task.slurm_id}: squeue could not be asked "
                                   "here, so whether it is queued, running or lost is not "
                                   "known (gather where Slurm's commands work)")
        elif plan.rebuilt:
            out[job] = ("lost", "no status, and jobs.json is missing (the job list was "
                                "rebuilt from multirun.yaml): the job never ended, or its "
                                "folder was removed")
        else:
            out[job] = ("lost", "no status: the sweep ended or was stopped before this job "
                                "finished")
    return out


def hydra_override(key: str, value: str) -> str:
    """``key=value`` in Hydra's override syntax, quoted (and escaped) where it must be."""
    if _PLAIN_VALUE.fullmatch(value):
        return f"{key}={value}"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{key}='{escaped}'"


def raised_limits(folder: Path, errors: Mapping[int, str]) -> dict[str, int]:
    """Twice the limit of the tasks killed at their time limit or out of memory.

    ``errors``: the lost jobs' reasons by job number. A rerun with the same limits
    would be killed again; the rerun command asks for these instead.
    """
    tasks = read_slurm_tasks(folder)
    out: dict[str, int] = {}
    for key, words in (("timeout_min", "time limit"), ("mem_gb", "out of memory")):
        had = [getattr(tasks[j], key) for j, why in errors.items()
               if words in why and j in tasks and getattr(tasks[j], key)]
        if had:
            out[key] = 2 * max(had)
    return out


def rerun_command(folder: Path, plan: SweepPlan, errors: Mapping[int, str] | None = None
                  ) -> str:
    """The shell command that reruns the sweep's jobs that did not complete, into ``folder``.

    The original command's interpreter, config flags and overrides, the folder, and
    ``hydra.sweeper.resume=true``: jobs that completed are skipped; the others run
    again with their own numbers. ``errors`` (the lost jobs' reasons by number): where
    tasks were killed at their time limit or out of memory, the limit is doubled.
    """
    raised = raised_limits(folder, errors or {})
    drop = (*_RERUN_KEYS, *(f"hydra.launcher.{k}" for k in raised))
    keep = [o for o in plan.hydra_overrides if o.split("=", 1)[0] not in drop]
    words = [plan.python or sys.executable, "-m", "sim", *plan.flags, "-m", *keep,
             *(f"hydra.launcher.{k}={v}" for k, v in raised.items()), *plan.task_overrides,
             hydra_override("hydra.sweep.dir", str(Path(folder).absolute())),
             "hydra.sweeper.resume=true"]
    return " ".join(shlex.quote(w) for w in words)


def completed_jobs(folder: Path) -> set[int]:
    """Job numbers whose ``status.json`` says completed."""
    done = set()
    for status in Path(folder).glob("*/status.json"):
        if status.parent.name.isdigit():
            try:
                data: Mapping[str, Any] = json.loads(status.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if data.get("status") == "completed":
                done.add(int(status.parent.name))
    return done
