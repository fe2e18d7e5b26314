"""The cluster launcher's work (``slurm_launcher`` holds what Hydra sees).

Sizing each task from the sweep's jobs, and waiting for the tasks with
``sim.cluster.wait_for`` (no Slurm accounting needed). A lost job gets a
``status.json`` saying ``lost`` and why, so the sweep's table and exit status
name it.
"""

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus

from sim import cluster
from sim.sweeps.jobs import SlurmTask, write_slurm_tasks
from sim.sweeps.status import write_lost

#: Keys whose values change a run's size (a sweep may set them per job).
SIZE_KEYS = ("horizon_h", "scenarios", "region")


#: Launcher keys that must be positive whole numbers when given (null: sized or unset).
_POSITIVE_INTS = ("timeout_min", "mem_gb", "cpus_per_task", "nodes", "tasks_per_node",
                  "array_parallelism", "gpus_per_node", "gpus_per_task", "cpus_per_gpu")


def settings_problems(params: Mapping[str, Any], python: str | None, poll_s: float,
                      lost_after_s: float) -> list[str]:
    """What is wrong with the launcher's settings, each naming key, value and what is allowed."""
    out = []
    for key in _POSITIVE_INTS:
        value = params.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            allowed = ("null to size it from the sweep's largest job"
                       if key in ("timeout_min", "mem_gb") else "null")
            out.append(f"hydra.launcher.{key} = {value!r}: allowed: a whole number of at "
                       f"least 1, or {allowed}")
    delay = params.get("signal_delay_s")
    timeout = params.get("timeout_min")
    if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0 or (
            isinstance(timeout, int) and timeout >= 1 and delay >= timeout * 60):
        out.append(f"hydra.launcher.signal_delay_s = {delay!r}: allowed: whole seconds from "
                   "0 to less than the time limit (timeout_min x 60)")
    if not poll_s > 0:
        out.append(f"hydra.launcher.poll_s = {poll_s!r}: allowed: seconds above 0")
    if not lost_after_s >= 0:
        out.append(f"hydra.launcher.lost_after_s = {lost_after_s!r}: allowed: 0 seconds or more")
    setup = params.get("setup")
    if setup is not None and not all(isinstance(line, str) for line in setup):
        out.append(f"hydra.launcher.setup = {setup!r}: allowed: a list of shell lines, or "
                   "null to activate this environment on the nodes")
    if python is not None and not str(python).strip():
        out.append("hydra.launcher.python = '': allowed: an interpreter (a path or a name on "
                   "the nodes' PATH), or null for this one")
    problem = cluster.partition_problem(params.get("partition"))
    if problem:
        out.append(f"hydra.launcher.partition = {params.get('partition')!r}: {problem}")
        return out
    limits = cluster.node_limits(params.get("partition"))
    if limits is not None:
        cpus, memory_mb, _ = limits
        where = f"the largest node of partition {params.get('partition') or '(default)'}"
        asked = params.get("cpus_per_task")
        if isinstance(asked, int) and asked > cpus:
            out.append(f"hydra.launcher.cpus_per_task = {asked}: {where} has {cpus} CPUs "
                       f"(sinfo); allowed: 1 to {cpus}")
        memory = params.get("mem_gb")
        if isinstance(memory, int) and memory * 1024 > memory_mb:
            out.append(f"hydra.launcher.mem_gb = {memory}: {where} has {memory_mb} MB "
                       f"(sinfo); allowed: up to {memory_mb // 1024}, or null to size it")
    return out


def _say(line: str) -> None:
    """A line about the queue, on the terminal."""
    print(line, file=sys.stderr, flush=True)


def last_line(exc: BaseException) -> str:
    """The last non-empty line of an error's message (sbatch's own)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def size(config: Any) -> tuple[int, int]:
    """Time limit (minutes) and memory (GB) for one run of a composed config."""
    select = config.region.select
    return cluster.size(cluster.municipalities(list(select.codes), list(select.regions)),
                        float(config.horizon_h))


def size_keys(overrides: Sequence[str]) -> tuple[str, ...]:
    """The overrides of one job that change its size."""
    return tuple(o for o in overrides
                 if o.lstrip("+~").split("=", 1)[0].split(".", 1)[0] in SIZE_KEYS)


def distinct(values: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each value once, in first-seen order."""
    return list(dict.fromkeys(values))


def array_parameters(params: Mapping[str, Any], sizes: Sequence[tuple[int, int]]
                     ) -> dict[str, Any]:
    """Time limit and memory: as given, else the largest size of the sweep's jobs."""
    out = dict(params)
    if out.get("timeout_min") is None:
        out["timeout_min"] = max(s[0] for s in sizes)
    if out.get("mem_gb") is None:
        out["mem_gb"] = max(s[1] for s in sizes)
    return out


def wait(jobs: Sequence[Any], numbered: Sequence[tuple[int, list[str]]], sweep_dir: Path,
         poll_s: float, lost_after_s: float, limits: tuple[int, int] = (0, 0)
         ) -> list[JobReturn]:
    """Wait for every submitted task; a lost one gets a ``lost`` status. Results in order.

    ``jobs``: submitit's jobs, one per entry of ``numbered`` (job number, overrides);
    ``limits``: the tasks' time limit (minutes) and memory (GB), recorded for a rerun.
    """
    write_slurm_tasks(sweep_dir, (SlurmTask(n, str(job.job_id), str(job.paths.stderr),
                                            str(job.paths.stdout), *limits)
                                  for job, (n, _) in zip(jobs, numbered, strict=True)))
    results: dict[int, JobReturn] = {}
    for i, lost in cluster.wait_for(jobs, poll_s, lost_after_s, say=_say):
        number, overrides = numbered[i]
        if lost is None:
            try:
                results[i] = jobs[i].results()[0]
                continue
            except Exception as exc:  # submitit's own failure: unpickling, a missing module
                lost = cluster.failure_reason(jobs[i], exc)
        write_lost(sweep_dir / str(number), overrides, lost)
        results[i] = JobReturn(overrides=list(overrides), status=JobStatus.UNKNOWN)
    return [results[i] for i in range(len(jobs))]
