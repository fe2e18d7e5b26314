"""The composing sweeper's work (``pool_launcher`` holds what Hydra sees).

Hydra's basic sweeper, plus what a sweep of many jobs on a cluster needs:

- before any job starts, every job's number and overrides are written to
  ``jobs.json`` (``sim.sweeps.jobs``), so gathering knows which jobs are missing;
- ``hydra.sweeper.resume=true`` with ``hydra.sweep.dir`` of an earlier sweep reruns
  only its jobs that did not complete, under their own numbers, into the same
  folder (what those left, a failed job's status or a lost job's partial files, is
  cleared first) (the command is printed by ``blackout-sim-aggregate --rerun-command``);
- a launcher that can run jobs under given numbers (``launch_numbered``) gets
  them so; any other launcher gets each run of consecutive numbers.
"""

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from sim.sweeps.jobs import (
    completed_jobs,
    mark_ended,
    queued_slurm_ids,
    read_plan,
    read_slurm_tasks,
    write_plan,
)

#: Set once this process's sweep has passed its checks and launches jobs (an exit
#: status 1 after that is the sweep's, not bad input).
LAUNCHED: list[bool] = []
#: A job: its number and its overrides.
Numbered = tuple[int, list[str]]


class SweepRefused(ValueError):
    """A sweep that cannot start as asked (named key, value and what is allowed)."""


def sweep(sweeper: Any, arguments: list[str]) -> list[Sequence[JobReturn]]:
    """Run the sweep's jobs in batches; ``jobs.json`` first, its end noted last."""
    params_conf = sweeper._parse_config()
    params_conf.extend(arguments)
    parser = OverridesParser.create(config_loader=sweeper.hydra_context.config_loader)
    batches = sweeper.split_arguments(parser.parse_overrides(params_conf),
                                      sweeper.max_batch_size)
    numbered: list[list[Numbered]] = []
    for batch in batches:
        start = sum(len(b) for b in numbered)
        numbered.append([(start + i, list(o)) for i, o in enumerate(batch)])
    every = [job for batch in numbered for job in batch]
    config = sweeper.config
    folder = Path(str(config.hydra.sweep.dir))
    skip = resumed(folder, every) if sweeper.resume else fresh(folder)
    folder.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(config, folder / "multirun.yaml")
    write_plan(folder, every, list(config.hydra.overrides.task),
               list(config.hydra.overrides.hydra))
    returns: list[Sequence[JobReturn]] = []
    try:
        for batch in numbered:
            todo = [job for job in batch if job[0] not in skip]
            if not todo:
                continue
            sweeper.validate_batch_is_legal([o for _, o in todo])
            LAUNCHED.append(True)
            results = launch_numbered(sweeper.launcher, todo)
            for r in results:  # UNKNOWN: a lost job, its status.json says why
                if r.status != JobStatus.UNKNOWN:
                    _ = r.return_value  # raises for a job Hydra itself could not run
            returns.append(results)
    finally:
        mark_ended(folder)
    return returns


def fresh(folder: Path) -> set[int]:
    """A new sweep: its folder must not hold another sweep's jobs."""
    if read_plan(folder) is not None:
        raise SweepRefused(
            f"hydra.sweep.dir = '{folder}': already holds a sweep (jobs.json); add "
            "hydra.sweeper.resume=true to rerun its jobs that did not complete, or choose "
            "another folder")
    return set()


def resumed(folder: Path, every: Sequence[Numbered]) -> set[int]:
    """Jobs of an earlier sweep in ``folder`` to skip (completed); checks it is the same sweep."""
    plan = read_plan(folder)
    if plan is None:
        raise SweepRefused(
            f"hydra.sweeper.resume=true: hydra.sweep.dir = '{folder}' holds no jobs.json; "
            "allowed: the folder of a sweep made by this tool (blackout-sim-aggregate "
            "--rerun-command <folder> prints the command that resumes it)")
    if plan.jobs != dict(every):
        raise SweepRefused(
            f"hydra.sweeper.resume=true: these overrides make {len(every)} jobs that differ "
            f"from the {len(plan.jobs)} jobs in {folder / 'jobs.json'}; allowed: the sweep's "
            "own overrides (blackout-sim-aggregate --rerun-command <folder> prints them)")
    done = completed_jobs(folder)
    tasks = read_slurm_tasks(folder)
    waiting = [j for j in plan.jobs if j not in done and j in tasks]
    queued = queued_slurm_ids() if waiting else None
    still = [j for j in waiting if queued is not None and tasks[j].slurm_id in queued]
    if still:
        raise SweepRefused(
            f"hydra.sweeper.resume=true: jobs {still} of {folder} are still queued or "
            "running on Slurm (" + ", ".join(tasks[j].slurm_id for j in still) + "); wait "
            "for them or cancel them (scancel) first")
    for job in plan.jobs:  # what a job that did not complete left is no result: cleared
        if job not in done and (folder / str(job)).is_dir():
            shutil.rmtree(folder / str(job))
    return done


def launch_numbered(launcher: Any, jobs: Sequence[Numbered]) -> Sequence[JobReturn]:
    """Run ``jobs`` under their own numbers: all at once where the launcher can."""
    if hasattr(launcher, "launch_numbered"):
        return list(launcher.launch_numbered(list(jobs)))
    results: list[JobReturn] = []
    run: list[Numbered] = []
    for job in [*jobs, (-2, [])]:  # the sentinel ends the last run
        if run and job[0] != run[-1][0] + 1:
            results.extend(launcher.launch([o for _, o in run], initial_job_idx=run[0][0]))
            run = []
        run.append(job)
    return results


def covering(batch: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """Jobs of ``batch`` that together hold every override (each value of each key) once."""
    seen: set[str] = set()
    out = []
    for overrides in batch:
        if not seen.issuperset(overrides):
            out.append(overrides)
            seen.update(overrides)
    return out
