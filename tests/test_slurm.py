"""Sweeps, and the batch runs of the plan and the sensitivity study, on a real Slurm cluster.

A one-node cluster (``tests/slurm_cluster.py``: the Debian packages ``slurm-wlm`` and
``munge``, installed if missing; its own munge key, ``slurm.conf`` and daemons in a
temporary folder; no accounting, as on many clusters) runs:

- a 4-job sweep through ``hydra/launcher=slurm``, compared with the pool launcher:
  identical indicators job for job;
- a sweep with one task cancelled while it runs: the sweep command and the gathering
  command report it lost (cancelled) and exit 1; the printed rerun command runs only
  that job and completes the sweep;
- a task stopped at its time limit and a task cancelled while pending: both lost, each
  with its reason; a partition the cluster lacks: refused before anything is written;
- the plan's and the sensitivity study's runs (``sim.results.batch``) on
  ``launcher=slurm``, equal to the same runs on this machine's processes.

Marked ``slurm`` and left out of the default test command (it needs root, installs
packages and starts daemons; about two minutes here): ``pytest -m slurm -n 0``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import SMALL, compose_config, run_cli
from slurm_cluster import OneNodeCluster, ensure_installed, slurm_available

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

#: Quick looks at the queue, so the tests do not wait ten seconds per look.
FAST = ["hydra/launcher=slurm", "hydra.launcher.partition=debug", "hydra.launcher.poll_s=1",
        "hydra.launcher.lost_after_s=5"]
QUIET = ["research.figures=false", "research.gis=false", "tables.keep=summary"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OneNodeCluster]:
    reason = slurm_available()
    if reason is not None:
        pytest.skip(f"no one-node Slurm cluster here: {reason}")
    ensure_installed()
    with OneNodeCluster(tmp_path_factory.mktemp("slurm")) as started:
        yield started


def on_cluster(cluster: OneNodeCluster, args: list[str], results: Path,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m sim -m <args>`` with the cluster's environment (SLURM_CONF)."""
    env = {**os.environ, **cluster.env, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", "sim", "-m", f"results_dir={results}", *args],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=results.parent, env=env)


def indicators(sweep: Path) -> dict[str, dict[str, object]]:
    """Each job's indicators by its overrides (without where it was written)."""
    out = {}
    for status in sweep.glob("*/status.json"):
        overrides = [o for o in json.loads(status.read_text())["overrides"]
                     if not o.startswith(("results_dir=", "hydra."))]
        summary = json.loads((status.parent / "summary.json").read_text())
        out[" ".join(sorted(overrides))] = summary["indicators"]
    return out


def only_sweep(results: Path, scenario: str = "oost5_default") -> Path:
    (sweep,) = (results / "sweeps" / scenario).iterdir()
    return sweep


def test_a_sweep_on_slurm_gives_the_pool_sweeps_indicators(cluster: OneNodeCluster,
                                                           tmp_path: Path) -> None:
    args = ["seed=1,2", "stations.backup_share=0.2,0.6", *SMALL, *QUIET]
    slurm = on_cluster(cluster, [*FAST, *args], tmp_path / "slurm")
    assert slurm.returncode == 0, slurm.stderr
    assert "4 jobs (4 completed)" in slurm.stderr
    pool = run_cli(["-m", *args], tmp_path / "pool")
    assert pool.returncode == 0, pool.stderr
    here, there = indicators(only_sweep(tmp_path / "pool")), indicators(
        only_sweep(tmp_path / "slurm"))
    assert len(there) == 4 and there == here
    # One array named after the scenario, started in this environment, sized for Oost-5.
    sweep = only_sweep(tmp_path / "slurm")
    (script,) = sweep.glob(".submitit/*/*_submission.sh")
    text = script.read_text()
    assert "#SBATCH --job-name=blackout-sim-oost5_default" in text
    assert "#SBATCH --array=0-3%" in text
    assert f"source {shlex.quote(str(Path(sys.prefix) / 'bin' / 'activate'))}" in text
    assert "#SBATCH --time=10" in text and "#SBATCH --mem=2GB" in text
    assert "#SBATCH --signal=USR2@30" in text  # warned 30 s before the limit, not 120
    assert sys.executable in text
    assert json.loads((sweep / "jobs.json").read_text())["ended"] is not None
    assert len(json.loads((sweep / "slurm_jobs.json").read_text())) == 4


def test_a_cancelled_task_is_lost_and_the_rerun_completes_the_sweep(
        cluster: OneNodeCluster, tmp_path: Path) -> None:
    # National runs take long enough (about 20 s) to be cancelled while they run.
    results = tmp_path / "results"
    env = {**os.environ, **cluster.env, "HYDRA_FULL_ERROR": "0"}
    args = [*FAST, "seed=1,2", "scenarios=nederland", "horizon_h=96", *QUIET]
    sweep_cmd = subprocess.Popen(
        [sys.executable, "-m", "sim", "-m", f"results_dir={results}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        running = subprocess.run(["squeue", "--noheader", "--array", "--format=%i %T"],
                                 capture_output=True, text=True, env=env).stdout.split("\n")
        victim = next((line.split()[0] for line in running
                       if line.endswith("RUNNING") and line.split()[0].endswith("_1")), None)
        time.sleep(0.5)
    assert victim is not None, "task 1 never ran"
    time.sleep(2)
    cluster.scancel(victim)
    _, err = sweep_cmd.communicate(timeout=600)
    # The sweep returns (without accounting), names the lost job and why, and exits 1.
    assert sweep_cmd.returncode == 1, err
    assert "2 jobs (1 completed, 1 lost)" in err
    assert f"job 1 (seed=2): Slurm task {victim}: cancelled (scancel)" in err
    sweep = only_sweep(results, "nederland")
    table = pd.read_csv(sweep / "sweep_results.csv")
    assert list(table["status"]) == ["completed", "lost"]
    assert json.loads((sweep / "1" / "status.json").read_text())["status"] == "lost"
    # Gathering afterwards says the same and exits 1; it prints the command that reruns it.
    gather = subprocess.run([sys.executable, "-m", "sim.cli.aggregate", str(sweep),
                             "--no-figures"], capture_output=True, text=True, env=env)
    assert gather.returncode == 1
    assert "1 lost" in gather.stdout and "job 1 (seed=2)" in gather.stdout
    rerun = subprocess.run([sys.executable, "-m", "sim.cli.aggregate", str(sweep),
                            "--rerun-command"], capture_output=True, text=True, env=env)
    command = rerun.stdout.strip()
    assert command.endswith("hydra.sweeper.resume=true") and "seed=1,2" in command
    first = (sweep / "0" / "status.json").read_text()
    assert shlex.split(command)[0] == sys.executable  # the sweep's own interpreter
    again = subprocess.run(shlex.split(command), capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "2 jobs (2 completed)" in again.stderr
    assert (sweep / "0" / "status.json").read_text() == first  # job 0 was not run again
    tasks = {t["job"]: t["slurm_id"] for t in json.loads((sweep / "slurm_jobs.json").read_text())}
    assert tasks[0].endswith("_0") and tasks[1] not in (victim, tasks[0])  # job 1: a new task


def test_a_task_at_its_time_limit_and_one_cancelled_while_pending_are_lost_with_why(
        cluster: OneNodeCluster, tmp_path: Path) -> None:
    # One task at a time: task 1 waits while task 0 runs. Task 0 is warned 45 s before its
    # 1-minute limit, so 15 s after it starts: past its imports (about 5 s), well before its
    # national run ends (about 25 s at 168 h).
    results = tmp_path / "results"
    env = {**os.environ, **cluster.env, "HYDRA_FULL_ERROR": "0"}
    args = [*FAST, "hydra.launcher.timeout_min=1", "hydra.launcher.signal_delay_s=45",
            "hydra.launcher.array_parallelism=1", "seed=1,2", "scenarios=nederland",
            "horizon_h=168", *QUIET]
    sweep_cmd = subprocess.Popen(
        [sys.executable, "-m", "sim", "-m", f"results_dir={results}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    pending = None
    deadline = time.monotonic() + 120
    while pending is None and time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "--noheader", "--array", "--format=%i %T"],
                               capture_output=True, text=True, env=env).stdout.split("\n")
        pending = next((line.split()[0] for line in queue
                        if line.endswith("PENDING") and line.split()[0].endswith("_1")), None)
        time.sleep(0.2)
    assert pending is not None, "task 1 was never pending"
    cluster.scancel(pending)
    _, err = sweep_cmd.communicate(timeout=600)
    assert sweep_cmd.returncode == 1, err
    assert "2 jobs (2 lost)" in err
    assert "job 0 (seed=1): Slurm task" in err and "killed at its time limit" in err, err
    # The rerun asks for twice the limit: the same one would kill the task again.
    assert "hydra.launcher.timeout_min=2" in err.split("into the same folder")[-1], err
    # Slurm keeps a record of a cancelled pending task only if it had been split from the
    # array (squeue --states=all); either way the report says it never started.
    assert (f"job 1 (seed=2): Slurm task {pending}: cancelled (scancel), before it started"
            in err or f"job 1 (seed=2): Slurm task {pending}: never started (no log): "
            "cancelled while pending" in err), err


def test_a_partition_the_cluster_lacks_is_refused_before_anything_is_written(
        cluster: OneNodeCluster, tmp_path: Path) -> None:
    results = tmp_path / "results"
    proc = on_cluster(cluster, [*FAST, "hydra.launcher.partition=nope", "seed=1,2", *SMALL],
                      results)
    assert proc.returncode == 2, proc.stderr
    assert ("hydra.launcher.partition = 'nope': is not a partition of this cluster; "
            "allowed: debug (sinfo)") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not results.exists() or not any(results.rglob("*"))


def test_the_batch_runs_on_slurm_equal_those_on_this_machine(
        cluster: OneNodeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan search and the sensitivity study send their runs this way."""
    from sim.results.batch import EvaluationStore, Launcher, evaluate_all

    for key, value in cluster.env_overrides().items():
        monkeypatch.setenv(key, value)
    cfg = compose_config(["region.select.regions=[IJsselland]", "horizon_h=72"])
    jobs = [("a", {"seed": 1}), ("b", {"staffing": {"rest_hours": 10.0}})]
    here = EvaluationStore(tmp_path / "here.jsonl")
    evaluate_all(cfg, jobs, [1, 2], here, 2)
    there = EvaluationStore(tmp_path / "there.jsonl")
    evaluate_all(cfg, jobs, [1, 2], there, None, launcher=Launcher(
        "slurm", tmp_path / "submitit", {"slurm_partition": "debug", "name": "blackout-sim-plan"},
        runs_per_job=3, poll_s=1, lost_after_s=5))
    assert there.results == here.results and len(there.results) == 4
    (script, *_) = sorted((tmp_path / "submitit").glob("*_submission.sh"))
    assert "#SBATCH --job-name=blackout-sim-plan" in script.read_text()
