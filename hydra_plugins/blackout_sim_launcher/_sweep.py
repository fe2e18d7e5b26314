"""The composing sweeper's work (``pool_launcher`` holds what Hydra sees).

Hydra's basic sweeper, plus what a sweep of many jobs on a cluster needs:

- before any job starts, every job's number and overrides are written to
  ``jobs.json`` (``sim.sweeps.jobs``), so gathering knows which jobs are missing;
- ``hydra.sweeper.resume=true`` with ``hydra.sweep.dir`` of an earlier sweep reruns
  only its jobs that did not complete, under their own numbers, into the same
  folder (what those left, a failed job's status or a lost job's partial files, is
  cleared first) (the command is printed by ``blackout-sim-aggregate --rerun-command``);
- every check comes before anything is written: the launcher's own settings
  (``check_settings``), then the jobs' configs (each composed, or for the
  cluster's launcher a cover of them, also checked as the model checks a run); a
  refused sweep exits with status 2, names the key, and leaves no folder;
- a launcher that can run jobs under given numbers (``launch_numbered``) gets
  them so; any other launcher gets each run of consecutive numbers.
"""

import math
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from sim.cli.multirun import plan_from_multirun
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
#: A plain integer value.
_INT = re.compile(r"[+-]?\d+")
#: A job: its number and its overrides.
Numbered = tuple[int, list[str]]


class SweepRefused(ValueError):
    """A sweep that cannot start as asked (named key, value and what is allowed)."""


def sweep(sweeper: Any, arguments: list[str]) -> list[Sequence[JobReturn]]:
    """Run the sweep's jobs; a refused sweep exits with status 2 and writes nothing."""
    try:
        return _sweep(sweeper, arguments)
    except SweepRefused as exc:
        print(f"error: invalid input:\n  - {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


def _sweep(sweeper: Any, arguments: list[str]) -> list[Sequence[JobReturn]]:
    """Every check first; then ``jobs.json``, the jobs in batches, and the sweep's end noted."""
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
    check_settings = getattr(sweeper.launcher, "check_settings", None)
    if check_settings is not None:  # the launcher's own settings (partition, memory...)
        check_settings()
    task = list(config.hydra.overrides.task)
    skip = resumed(folder, every, task, config) if sweeper.resume else fresh(folder)
    todo = [[job for job in batch if job[0] not in skip] for batch in numbered]
    for batch_todo in todo:  # every batch before any job runs
        if batch_todo:
            sweeper.validate_batch_is_legal([o for _, o in batch_todo])
    if sweeper.resume:
        clear_unfinished(folder, every, skip)
    folder.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(config, folder / "multirun.yaml")
    write_plan(folder, every, task, list(config.hydra.overrides.hydra))
    print(f"[sweep] {len(every)} jobs into {folder}"
          + (f" ({len(skip)} completed before, {len(every) - len(skip)} to run)"
             if sweeper.resume else ""), file=sys.stderr, flush=True)
    returns: list[Sequence[JobReturn]] = []
    try:
        for batch_todo in todo:
            if not batch_todo:
                continue
            LAUNCHED.append(True)
            results = launch_numbered(sweeper.launcher, batch_todo)
            for r in results:  # UNKNOWN: a lost job, its status.json says why
                if r.status != JobStatus.UNKNOWN:
                    _ = r.return_value  # raises for a job Hydra itself could not run
            returns.append(results)
    finally:
        mark_ended(folder)
    return returns


def fresh(folder: Path) -> set[int]:
    """A new sweep: its folder must not hold another sweep's jobs."""
    if read_plan(folder, plan_from_multirun) is not None:
        raise SweepRefused(
            f"hydra.sweep.dir = '{folder}': already holds a sweep (jobs.json); add "
            "hydra.sweeper.resume=true to rerun its jobs that did not complete, or choose "
            "another folder")
    return set()


def differences(was: dict[str, Any], now: dict[str, Any], missing: str = "not given",
                limit: int | None = None) -> list[str]:
    """``key: 'a' then, 'b' now`` for each key whose value differs.

    ``missing`` stands for a key on one side only; at most ``limit``, then how many more.
    """
    keys = [k for k in [*was, *(k for k in now if k not in was)] if was.get(k) != now.get(k)]
    shown = keys if limit is None else keys[:limit]
    out = [f"{k}: " + (f"{was[k]!r} then" if k in was else f"{missing} then") + ", "
           + (f"{now[k]!r} now" if k in now else f"{missing} now") for k in shown]
    return out + ([f"and {len(keys) - len(shown)} more"] if len(keys) > len(shown) else [])


def override_differences(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """:func:`differences` of two override lists, by key."""
    def by_key(overrides: Sequence[str]) -> dict[str, str]:
        return {o.split("=", 1)[0]: o.split("=", 1)[1] if "=" in o else "" for o in overrides}

    return differences(by_key(old), by_key(new))


def config_differences(then: Any, now: Any, limit: int = 5) -> list[str]:
    """:func:`differences` of two configs' values outside ``hydra`` (dotted keys).

    Compared as written, before interpolation.
    """
    def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
        if not isinstance(tree, dict):
            return {prefix.rstrip("."): tree}
        out: dict[str, Any] = {}
        for key, value in tree.items():
            if prefix or key != "hydra":
                out.update(leaves(value, f"{prefix}{key}."))
        return out

    return differences(leaves(OmegaConf.to_container(then, resolve=False)),
                       leaves(OmegaConf.to_container(now, resolve=False)), "absent", limit)


def resumed(folder: Path, every: Sequence[Numbered], task: Sequence[str],
            config: Any) -> set[int]:
    """Jobs of an earlier sweep in ``folder`` to skip (completed); checks it is the same sweep.

    The same sweep: the same jobs, and (``config``, compared with the sweep's
    ``multirun.yaml``) the same config, so that an edited scenario or config file is
    not mixed into the sweep's completed jobs.
    """
    plan = read_plan(folder, plan_from_multirun)
    if plan is None:
        raise SweepRefused(
            f"hydra.sweeper.resume=true: hydra.sweep.dir = '{folder}' holds no jobs.json; "
            "allowed: the folder of a sweep made by this tool (blackout-sim-aggregate "
            "--rerun-command <folder> prints the command that resumes it)")
    if plan.jobs != dict(every):
        differ = override_differences(plan.task_overrides, task) or [
            "the same overrides, in another order"]
        raise SweepRefused(
            f"hydra.sweeper.resume=true: these overrides make {len(every)} jobs that differ "
            f"from the {len(plan.jobs)} jobs in {folder / 'jobs.json'} ("
            + "; ".join(differ) + "); allowed: the sweep's own overrides "
            "(blackout-sim-aggregate --rerun-command <folder> prints them)")
    earlier = folder / "multirun.yaml"
    changed = config_differences(OmegaConf.load(earlier), config) if earlier.is_file() else []
    if changed:
        raise SweepRefused(
            f"hydra.sweeper.resume=true: the config differs from the one the sweep in "
            f"{folder} started with (" + "; ".join(changed) + "): a scenario or config file "
            "was edited since; allowed: the sweep's own config (undo the edit), or a new "
            "sweep folder for the edited one")
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
    return done


def clear_unfinished(folder: Path, every: Sequence[Numbered], done: set[int]) -> None:
    """What a job that did not complete left is no result: cleared before it runs again."""
    for job, _ in every:
        if job not in done and (folder / str(job)).is_dir():
            shutil.rmtree(folder / str(job))


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


def check_jobs(sweeper: Any, batch: Sequence[Sequence[str]]) -> None:
    """Compose each job and check it as a run would (``sim.cli.main.check``), nothing run."""
    from omegaconf import open_dict

    from sim.cli.main import check
    from sim.errors import InputError

    values: dict[str, set[str]] = {}
    for overrides in batch:
        for o in overrides:
            values.setdefault(o.split("=", 1)[0], set()).add(o)
    swept = {key for key, seen in values.items() if len(seen) > 1}
    for overrides in batch:
        cfg = sweeper.hydra_context.config_loader.load_sweep_config(
            master_config=sweeper.config, sweep_overrides=list(overrides))
        with open_dict(cfg):
            del cfg["hydra"]
        try:
            check(cfg)
        except InputError as exc:
            named = " ".join(o for o in overrides if o.split("=", 1)[0] in swept)
            raise SweepRefused(
                f"the jobs with {named or 'these overrides'} would fail on their nodes:\n"
                + "\n".join(f"    {p}" for p in exc.problems)
                + "\n    (of a key swept over numbers only the smallest and largest values "
                "are checked here: fix these, and values between are checked next)") from exc


def _number_kind(value: str) -> str | None:
    """``int`` or ``float`` for a plain number (not nan or inf), else None."""
    if _INT.fullmatch(value):
        return "int"
    try:
        return "float" if math.isfinite(float(value)) else None
    except ValueError:
        return None


def covering(batch: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """Jobs of ``batch`` that together hold every override value that must be checked.

    Each value of a key once; for a key swept over numbers only its smallest and
    largest value of each kind (int, float): the model's limits are ranges, so those
    two stand for the values between (``seed=range(1,1001)`` checks two jobs, not 1,000).
    """
    needed: set[str] = set()
    numbers: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for overrides in batch:
        for o in overrides:
            key, _, value = o.partition("=")
            kind = _number_kind(value)
            if kind is None:
                needed.add(o)
            else:
                numbers.setdefault((key, kind), []).append((float(value), o))
    for values in numbers.values():
        needed.update((min(values)[1], max(values)[1]))
    seen: set[str] = set()
    out = []
    for overrides in batch:
        if not seen.issuperset(needed.intersection(overrides)):
            out.append(overrides)
            seen.update(overrides)
    return out
