"""Sweeps know their jobs: lost jobs named, resumed, and cluster tasks sized and watched.

The real cluster is in ``test_slurm.py`` (run on request); here ``squeue`` is a small
script on ``PATH`` that lists what a test says is queued, and submitit's jobs are
stand-ins with the files submitit would write.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import run_cli

from sim import cluster
from sim.cli.aggregate import main as aggregate_main
from sim.paths import PROJECT_ROOT
from sim.sweeps.jobs import (
    SlurmTask,
    hydra_override,
    mark_ended,
    read_plan,
    rerun_command,
    write_plan,
    write_slurm_tasks,
)
from sim.sweeps.status import write_status
from sim.sweeps.tables import gather, report

JOBS = [(0, ["seed=1", "x=1"]), (1, ["seed=2", "x=1"]), (2, ["seed=3", "x=1"])]


@pytest.fixture
def squeue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fake ``squeue`` on PATH; call it with the task ids it should list."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    listed = tmp_path / "queued.txt"
    listed.write_text("")
    script = bin_dir / "squeue"
    script.write_text(f"#!/bin/sh\ncat {listed}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return lambda *ids: listed.write_text("".join(f"{i}\n" for i in ids))


def sweep_with_one_done(folder: Path) -> Path:
    write_plan(folder, JOBS, ["seed=1,2,3", "x=1"], ["hydra/launcher=slurm"])
    write_status(folder / "0", JOBS[0][1], "completed", 0.0)
    (folder / "1").mkdir()  # started, no status
    return folder


def test_jobs_without_status_are_running_while_the_sweep_runs(tmp_path):
    tables = gather(sweep_with_one_done(tmp_path / "s"))  # this process is the sweep's
    assert list(tables.results["status"]) == ["completed", "running", "running"]
    assert tables.lost == []


def test_after_the_sweep_ended_missing_jobs_are_lost_and_named(tmp_path, capsys):
    folder = sweep_with_one_done(tmp_path / "s")
    mark_ended(folder)
    tables = gather(folder)
    assert list(tables.results["status"]) == ["completed", "lost", "lost"]
    assert list(tables.results["seed"]) == [1, 2, 3]  # a lost job keeps its parameters
    text = report(tables)
    assert "3 jobs (1 completed, 2 lost)" in text
    assert "job 2 (seed=3): no status" in text
    assert rerun_command(folder, tables.plan) in text
    with pytest.raises(SystemExit) as exc:
        aggregate_main([str(folder), "--no-figures"])
    assert exc.value.code == 1
    with pytest.raises(SystemExit):
        aggregate_main([str(folder), "--rerun-command"])
    assert capsys.readouterr().out.strip().endswith("hydra.sweeper.resume=true")
    assert pd.read_csv(folder / "sweep_results.csv")["status"].tolist() == [
        "completed", "lost", "lost"]


def test_a_sweep_whose_main_process_died_has_lost_its_unfinished_jobs(tmp_path):
    folder = sweep_with_one_done(tmp_path / "s")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    data = json.loads((folder / "jobs.json").read_text())
    data["pid"] = gone.pid  # the sweep was killed: no end noted, its process is gone
    (folder / "jobs.json").write_text(json.dumps(data))
    assert gather(folder).lost == ["1", "2"]


@pytest.mark.parametrize(("log", "reason"), [
    ("slurmstepd-vm: error: *** JOB 7 ON vm CANCELLED AT 2026-12-03T09:30:22 ***",
     "cancelled (scancel)"),
    ("slurmstepd: error: *** JOB 7 ON n1 CANCELLED AT 2026-12-03T09:30:22 DUE TO TIME LIMIT ***",
     "killed at its time limit (timeout_min)"),
    ("slurmstepd: error: Detected 1 oom-kill event(s) in StepId=7.0", "killed out of memory"),
    ("slurmstepd: error: *** JOB 7 ON n1 CANCELLED AT 2026 DUE TO NODE FAILURE ***",
     "its node failed"),
    ("/shared/venv/bin/python: No such file or directory",
     "the last line of its log: /shared/venv/bin/python: No such file or directory"),
])
def test_why_slurm_ended_a_task_is_read_from_its_log(tmp_path, log, reason):
    path = tmp_path / "7_1_0_log.err"
    path.write_text(f"some output\n{log}\n")
    assert reason in cluster.log_reason(path, tmp_path / "missing.out")


def test_slurm_tasks_still_queued_are_running_and_gone_ones_lost_with_why(tmp_path, squeue):
    folder = sweep_with_one_done(tmp_path / "s")
    log = tmp_path / "2_log.err"
    log.write_text("*** JOB 7 ON vm CANCELLED AT 2026-12-03T09:30:22 DUE TO TIME LIMIT ***\n")
    write_slurm_tasks(folder, [SlurmTask(j, f"7_{j}", str(log if j == 2 else tmp_path / "x"),
                                         str(tmp_path / "y")) for j in (0, 1, 2)])
    mark_ended(folder)  # the command was stopped; Slurm still runs task 7_1
    squeue("7_1")
    tables = gather(folder)
    assert list(tables.results["status"]) == ["completed", "running", "lost"]
    assert tables.results["error"].iloc[2].startswith(
        "Slurm task 7_2: killed at its time limit (timeout_min)")


class FakeJob:
    """What :func:`sim.cluster.wait_for` uses of a submitit job."""

    def __init__(self, folder: Path, job_id: str) -> None:
        self.job_id = job_id
        self.paths = SimpleNamespace(result_pickle=folder / f"{job_id}_result.pkl",
                                     stderr=folder / f"{job_id}_log.err",
                                     stdout=folder / f"{job_id}_log.out")


def test_waiting_ends_when_tasks_leave_the_queue_without_accounting(tmp_path, squeue):
    done, cancelled, queued = (FakeJob(tmp_path, f"9_{i}") for i in range(3))
    done.paths.result_pickle.write_bytes(b"result")
    cancelled.paths.stderr.write_text("*** JOB 9 ON vm CANCELLED AT 2026-12-03 ***\n")
    squeue("9_2")
    waiting = cluster.wait_for([done, cancelled, queued], poll_s=0.01, lost_after_s=0)
    assert next(waiting) == (0, None)
    index, why = next(waiting)
    assert index == 1 and why.startswith("Slurm task 9_1: cancelled (scancel)")
    squeue()  # task 9_2 ends, and its result comes
    queued.paths.result_pickle.write_bytes(b"result")
    assert next(waiting) == (2, None)


def test_a_task_gone_from_the_queue_gets_time_for_its_result(tmp_path, squeue):
    job = FakeJob(tmp_path, "9_0")
    waiting = cluster.wait_for([job], poll_s=0.05, lost_after_s=30)
    import threading
    threading.Timer(0.3, lambda: job.paths.result_pickle.write_bytes(b"r")).start()
    assert next(waiting) == (0, None)  # gone from squeue at once, but its result came


def test_cluster_tasks_are_sized_from_the_scenario():
    oost5 = cluster.size(cluster.municipalities([], ["VNOG", "VGGM", "VGZ", "IJsselland",
                                                      "Twente"]), 168)
    national = cluster.size(cluster.municipalities([], []), 168)
    fortnight = cluster.size(cluster.municipalities([], []), 336)
    assert oost5 == (10, 2)
    assert national[0] > oost5[0] and national[1] > oost5[1]
    assert fortnight[0] > national[0] and fortnight[1] >= national[1]
    assert cluster.size(cluster.municipalities(["GM0153"], []), 72) == (10, 2)
    # Measured: a national run took 24 s and 1.38 GB; the limits leave a wide margin.
    assert national[0] * 60 >= 20 * 24 and national[1] >= 2 * 1.38


def test_each_task_starts_in_this_environment():
    lines = cluster.environment_setup()
    assert lines[0] == f"source {Path(sys.prefix) / 'bin' / 'activate'}"
    assert lines[1] == f"export SIM_PROJECT_ROOT={PROJECT_ROOT}"


def test_overrides_are_quoted_for_hydra_only_where_needed():
    plain = hydra_override("hydra.sweep.dir", "/data/sweeps/a-1")
    assert plain == "hydra.sweep.dir=/data/sweeps/a-1"
    assert hydra_override("hydra.sweep.dir", "/data/my sweeps/it's") == (
        "hydra.sweep.dir='/data/my sweeps/it\\'s'")


# --- resuming a real sweep (the pool launcher) ----------------------------------------------


@pytest.mark.slow
def test_a_resumed_sweep_runs_only_the_jobs_that_did_not_complete(joblib_sweep, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(joblib_sweep.folder, folder)
    (folder / "2" / "status.json").unlink()  # job 2 lost (it had completed)
    untouched = (folder / "0" / "status.json").read_text()
    plan = read_plan(folder)
    assert plan is not None and len(plan.jobs) == 4
    assert gather(folder).results["status"].tolist() == ["completed", "failed", "lost", "failed"]
    words = shlex.split(rerun_command(folder, plan))
    assert words[:4] == ["python", "-m", "sim", "-m"]
    proc = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    # Jobs 1 and 3 fail again (a backup share of -1), job 2 completes, job 0 is left alone.
    assert proc.returncode == 1
    assert "4 jobs (2 completed, 2 failed)" in proc.stderr
    assert (folder / "0" / "status.json").read_text() == untouched
    assert json.loads((folder / "2" / "status.json").read_text())["status"] == "completed"
    # Into the sweep's own folder: no new sweep beside the original one.
    assert len(list(joblib_sweep.folder.parent.iterdir())) == 1


@pytest.mark.slow
def test_resuming_refuses_other_overrides_and_a_taken_folder(joblib_sweep, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(joblib_sweep.folder, folder)
    before = sorted(p.name for p in folder.iterdir())
    other = run_cli(["-m", "seed=1,2,3", hydra_override("hydra.sweep.dir", str(folder)),
                     "hydra.sweeper.resume=true"], tmp_path / "results")
    assert other.returncode == 2
    assert "differ from the 4 jobs" in other.stderr
    taken = run_cli(["-m", "seed=1", hydra_override("hydra.sweep.dir", str(folder))],
                    tmp_path / "results")
    assert taken.returncode == 2 and "already holds a sweep (jobs.json)" in taken.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_wheel_carries_the_configs_scenarios_and_geodata(tmp_path):
    """A non-editable install (a shared environment on a cluster) needs them in the package."""
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib",
                           str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = tmp_path / "sim" / "_data"
    assert (data / "configs" / "config.yaml").is_file()
    assert (data / "configs" / "aid" / "default.yaml").is_file()
    assert (data / "scenarios" / "nederland.yaml").is_file()
    assert (data / "geodata" / "nl.gpkg").stat().st_size > 1_000_000
    assert (data / "geodata" / "source" / "nl_municipalities_2025.csv").is_file()
    assert (tmp_path / "hydra_plugins" / "blackout_sim_launcher" / "slurm_launcher.py").is_file()
