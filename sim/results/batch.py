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
    """Where the runs go: this machine's cores, or a cluster through submitit.

    ``joblib``: processes on this machine (``n_jobs``). ``submitit_slurm``: jobs on a
    Slurm cluster, ``runs_per_job`` runs each, with submitit's ``parameters``
    (``slurm_partition``, ``timeout_min``, ``cpus_per_task``, ``mem_gb``), the library
    behind the sweeps' ``hydra/launcher=submitit_slurm``; ``submitit_local``: the
    same path as local processes (a check on a laptop). Logs go to ``folder``.
    """

    kind: str = "joblib"
    folder: Path | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    runs_per_job: int = 16


#: Launcher kinds.
LAUNCHERS = ("joblib", "submitit_local", "submitit_slurm")


@dataclass
class SlurmKeys:
    """The ``slurm`` block of a batch command's settings (schema for unknown keys)."""

    partition: str | None = None
    timeout_min: int = 60
    cpus_per_task: int = 1
    mem_gb: float = 4
    runs_per_job: int = 16


def read_launcher(c: Reader, prefix: str) -> Launcher:
    """``<prefix>.launcher`` and ``<prefix>.slurm.*`` of a batch command's settings."""
    parameters = {
        "slurm_partition": c.optional_text(f"{prefix}.slurm.partition"),
        "timeout_min": c.integer(f"{prefix}.slurm.timeout_min", lo=1, hi=10_000),
        "cpus_per_task": c.integer(f"{prefix}.slurm.cpus_per_task", lo=1, hi=256),
        "mem_gb": c.number(f"{prefix}.slurm.mem_gb", lo=0.5, hi=4096),
    }
    return Launcher(kind=c.choice(f"{prefix}.launcher", LAUNCHERS),
                    parameters={k: v for k, v in parameters.items() if v is not None},
                    runs_per_job=c.integer(f"{prefix}.slurm.runs_per_job", lo=1, hi=100_000))


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
    import submitit

    folder = launcher.folder or Path("submitit")
    executor = submitit.AutoExecutor(
        folder=str(folder), cluster="local" if launcher.kind == "submitit_local" else "slurm")
    executor.update_parameters(**dict(launcher.parameters))
    size = max(int(launcher.runs_per_job), 1)
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    submitted = executor.map_array(_chunk, [base] * len(chunks), chunks)
    for job in submitted:  # in order: the same results in the same order as joblib
        yield from job.result()
