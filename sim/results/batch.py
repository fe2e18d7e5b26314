"""Evaluating many configs with the discrete-event model: one run per seed, in parallel.

:func:`run_once` merges config changes (a plan's package, a sensitivity
sample) into the base config, runs the model with one seed and returns the
headline indicators for the whole area and per safety region. Runs that differ
only in their changes use the same seeds (common random numbers), so their
differences are not chance. :class:`EvaluationStore` keeps every result in an
append-only JSON-lines file, so an interrupted search or study reads back what
it had and runs only what is missing. Used by ``sim.plan`` and
``sim.sensitivity``.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.model.engine import Model
from sim.params.reader import Reader
from sim.params.validate import prepare
from sim.results.files import write_text_atomic
from sim.results.regions import group_indicators
from sim.results.run import build_network, collector_paused

#: Indicators kept per run, for the area and per region (see ``sim.results.regions``).
INDICATORS = ("norm_72h_share", "coordination_points_functional_share",
              "within_reach_share", "within_reach_operational_share",
              "vulnerable_reached_in_time_share", "vulnerable_harmed", "local_points_planned")
#: Per-region mappings a package sets for every region: replaced, not merged, so a
#: base key naming a region another way (``VR06`` for ``VNOG``) cannot win.
REPLACED = ("power.mobile.per_region", "fuel.trucks_per_region")


def merged(base: Mapping[str, Any], changes: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """``base`` with ``changes`` merged in (mappings recursively; other values replaced)."""
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        here = f"{path}{key}"
        if (isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
                and here not in REPLACED):
            out[key] = merged(out[key], value, f"{here}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def run_once(base: Mapping[str, Any], changes: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Run the base config with ``changes`` and ``seed``; the plan's indicators."""
    cfg = merged(base, changes)
    cfg["seed"] = int(seed)
    scenario = prepare(cfg)
    with collector_paused():
        model = Model(scenario, build_network(scenario)).run()
    m = scenario.region.municipalities
    affected = set(scenario.affected_codes())
    region_of = {c: str(r) for c, r in zip(m["code"], m["region"], strict=True) if c in affected}
    deadline = scenario.params.support_points.operational_deadline_h
    by_region = group_indicators(model, region_of, deadline, municipalities=False)
    whole = group_indicators(model, dict.fromkeys(region_of, "all"), deadline,
                             municipalities=False)["all"]
    return {"all": {k: whole[k] for k in INDICATORS},
            "by_region": {r: {k: v[k] for k in INDICATORS} for r, v in by_region.items()}}


def _task(base: Mapping[str, Any], changes: Mapping[str, Any], seed: int,
          key: str) -> tuple[str, int, dict[str, Any]]:
    return key, seed, run_once(base, changes, seed)


class EvaluationStore:
    """Results by (package key, seed), kept in an append-only JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results: dict[tuple[str, int], dict[str, Any]] = {}
        if not self.path.exists():
            return
        text = self.path.read_text(encoding="utf-8")
        complete, _, cut = text.rpartition("\n")
        for line in complete.splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line damaged when an earlier search was stopped
            self.results[(row["key"], int(row["seed"]))] = row["result"]
        if cut:  # stopped while writing a line: drop it, so the next line starts clean
            write_text_atomic(self.path, complete + "\n" if complete else "")

    def __contains__(self, item: tuple[str, int]) -> bool:
        return item in self.results

    def get(self, key: str, seed: int) -> dict[str, Any]:
        """The stored result of one package and seed."""
        return self.results[(key, seed)]

    def add(self, key: str, seed: int, result: dict[str, Any]) -> None:
        """Store a result and append it to the file at once (flushed to disk)."""
        self.results[(key, seed)] = result
        line = json.dumps({"key": key, "seed": seed, "result": result}, sort_keys=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


@dataclass(frozen=True)
class Launcher:
    """Where the runs go: this machine's cores, or a Slurm cluster through submitit.

    ``joblib``: processes on this machine (``n_jobs``). ``slurm`` (or its older name
    ``submitit_slurm``): one Slurm job array, ``runs_per_job`` runs per task, with
    submitit's ``parameters`` (``slurm_partition``, ``timeout_min``, ``cpus_per_task``,
    ``mem_gb``, ``slurm_setup``, ...), started, sized and waited for as the sweeps'
    ``hydra/launcher=slurm`` does (``sim.cluster``); ``submitit_local``: the same path
    as local processes (a check on a laptop). Logs go to ``folder``.
    """

    kind: str = "joblib"
    folder: Path | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    runs_per_job: int = 16
    #: The interpreter each task runs (None: this one).
    python: str | None = None
    #: Seconds between looks at the queue; seconds a task may be gone without a result.
    poll_s: float = 10.0
    lost_after_s: float = 60.0


#: Launcher kinds.
LAUNCHERS = ("joblib", "submitit_local", "slurm", "submitit_slurm")


@dataclass
class SlurmKeys:
    """The ``slurm`` block of a batch command's settings (schema for unknown keys)."""

    partition: str | None = None
    timeout_min: int | None = None
    cpus_per_task: int = 1
    mem_gb: float | None = None
    runs_per_job: int = 16
    array_parallelism: int = 100
    setup: list[str] | None = None
    python: str | None = None
    poll_s: float = 10.0
    lost_after_s: float = 60.0


def read_launcher(c: Reader, prefix: str) -> Launcher:
    """``<prefix>.launcher`` and ``<prefix>.slurm.*`` of a batch command's settings.

    ``timeout_min`` and ``mem_gb`` left at null are sized from the scenario
    (``sim.cluster.size``) when the runs are sent; ``setup`` at null activates this
    environment on the nodes.
    """
    s = f"{prefix}.slurm"
    timeout = c.optional_number(f"{s}.timeout_min", lo=1, hi=100_000)
    setup = c.get(f"{s}.setup")
    if setup is not None and setup is not c.ABSENT and (
            not isinstance(setup, list | tuple) or not all(isinstance(x, str) for x in setup)):
        c.problems.add(f"{s}.setup", setup, "must be a list of shell lines, or null to "
                       "activate this environment on the nodes")
        setup = None
    parameters = {
        "slurm_partition": c.optional_text(f"{s}.partition"),
        "timeout_min": None if timeout is None else int(timeout),
        "cpus_per_task": c.integer(f"{s}.cpus_per_task", lo=1, hi=256),
        "mem_gb": c.optional_number(f"{s}.mem_gb", lo=0.5, hi=4096),
        "slurm_array_parallelism": c.integer(f"{s}.array_parallelism", lo=1, hi=100_000),
        "slurm_setup": None if setup is c.ABSENT else setup,
        "name": f"blackout-sim-{prefix}",
    }
    kind = c.choice(f"{prefix}.launcher", LAUNCHERS)
    if kind in ("slurm", "submitit_slurm") and "slurm_partition" in parameters:
        from sim.cluster import partition_problem

        problem = partition_problem(str(parameters["slurm_partition"]))
        if problem:
            c.problems.add(f"{s}.partition", parameters["slurm_partition"], problem)
    return Launcher(kind=kind,
                    parameters={k: v for k, v in parameters.items() if v is not None},
                    runs_per_job=c.integer(f"{s}.runs_per_job", lo=1, hi=100_000),
                    python=c.optional_text(f"{s}.python"),
                    poll_s=c.number(f"{s}.poll_s", lo=0.1, hi=3600),
                    lost_after_s=c.number(f"{s}.lost_after_s", lo=0, hi=86_400))


def evaluate_all(base: Mapping[str, Any], jobs: Sequence[tuple[str, Mapping[str, Any]]],
                 seeds: Iterable[int], store: EvaluationStore, n_jobs: int | None,
                 on_done: Callable[[int, int], None] | None = None,
                 launcher: Launcher | None = None) -> None:
    """Run every (package, seed) not yet in ``store``, in parallel; store each as it ends.

    ``jobs``: (package key, config changes). ``on_done(done, total)`` reports progress.
    The results do not depend on the number of processes or on the launcher.
    """
    seeds = list(seeds)
    unique = dict(jobs)  # a batch may propose one package twice
    todo = [(key, changes, s) for key, changes in unique.items() for s in seeds
            if (key, s) not in store]
    if not todo:
        return
    runs = (_map(base, todo, n_jobs) if launcher is None or launcher.kind == "joblib"
            else _submit(base, todo, launcher))
    for done, (key, seed, result) in enumerate(runs, start=1):
        store.add(key, seed, result)
        if on_done is not None:
            on_done(done, len(todo))


def _map(base: Mapping[str, Any], todo: list[tuple[str, Mapping[str, Any], int]],
         n_jobs: int | None) -> Iterator[tuple[str, int, dict[str, Any]]]:
    if n_jobs == 1 or len(todo) == 1:
        for key, changes, seed in todo:
            yield _task(base, changes, seed, key)
        return
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=n_jobs or -1, backend="loky", return_as="generator")
    yield from parallel(delayed(_task)(base, changes, seed, key) for key, changes, seed in todo)


def _chunk(base: Mapping[str, Any], todo: list[tuple[str, Mapping[str, Any], int]]
           ) -> list[tuple[str, int, dict[str, Any]]]:
    """One cluster job: several runs, one after the other."""
    return [_task(base, changes, seed, key) for key, changes, seed in todo]


def _submit(base: Mapping[str, Any], todo: list[tuple[str, Mapping[str, Any], int]],
            launcher: Launcher) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Send the runs as one submitit job array; yield results in order; lost tasks raise.

    On Slurm the tasks start in this environment and are sized from the scenario
    unless set, and lost tasks (cancelled, past their time limit, out of memory) are
    noticed without Slurm's accounting (``sim.cluster``). Every run that ended is
    yielded (and so stored) before :class:`LostRuns` names the lost ones.
    """
    import submitit

    from sim import cluster

    folder = Path(launcher.folder or Path("submitit")).absolute()
    size = max(int(launcher.runs_per_job), 1)
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    parameters = dict(launcher.parameters)
    if launcher.kind == "submitit_local":
        executor = submitit.AutoExecutor(folder=str(folder), cluster="local")
        executor.update_parameters(**{k: v for k, v in parameters.items()
                                      if not k.startswith("slurm_")})
        submitted = executor.map_array(_chunk, [base] * len(chunks), chunks)
        for job in submitted:  # in order: the same results in the same order as joblib
            yield from job.result()
        return
    cfg = merged(base, todo[0][1])
    select = cfg.get("region", {}).get("select", {})
    timeout, memory = cluster.size(cluster.municipalities(select.get("codes") or [],
                                                          select.get("regions") or []),
                                   float(cfg.get("horizon_h", 168)), runs=size)
    parameters.setdefault("timeout_min", timeout)
    parameters.setdefault("mem_gb", memory)
    parameters.setdefault("slurm_setup", cluster.environment_setup())
    parameters.setdefault("slurm_signal_delay_s", cluster.SIGNAL_DELAY_S)
    executor = submitit.AutoExecutor(folder=str(folder), cluster="slurm",
                                     slurm_python=launcher.python or sys.executable)
    executor.update_parameters(**parameters)
    submitted = executor.map_array(_chunk, [base] * len(chunks), chunks)
    ended: dict[int, list[tuple[str, int, dict[str, Any]]] | None] = {}
    lost: list[str] = []
    following = 0
    for i, why in cluster.wait_for(submitted, launcher.poll_s, launcher.lost_after_s,
                                   say=lambda line: print(line, file=sys.stderr, flush=True)):
        if why is None:
            try:
                ended[i] = submitted[i].result()
            except Exception as exc:  # the task's Python failed outside the runs
                ended[i], why = None, cluster.failure_reason(submitted[i], exc)
        if why is not None:
            ended[i] = None
            lost.append(why)
        while following in ended:  # in order, as joblib gives them
            yield from ended.pop(following) or []
            following += 1
    if lost:
        raise cluster.LostRuns(lost)
