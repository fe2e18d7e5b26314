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
from conftest import SMALL, run_cli

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
    states = tmp_path / "states.txt"  # what `squeue --states=all` says of ended tasks
    states.write_text("")
    script = bin_dir / "squeue"
    script.write_text(f'#!/bin/sh\ncase "$*" in *--states=all*) cat {states};; '
                      f"*) cat {listed};; esac\n")
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
     "its interpreter could not be started on the node (hydra.launcher.python or setup): "
     "/shared/venv/bin/python: No such file or directory"),
    ("Traceback (most recent call last):\nValueError: boom",
     "the last line of its log: ValueError: boom"),
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
    assert words[:4] == [sys.executable, "-m", "sim", "-m"]  # the sweep's own interpreter
    proc = subprocess.run(words, capture_output=True, text=True, cwd=tmp_path, timeout=600)
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
    assert "seed: '1,2' then, '1,2,3' now" in other.stderr  # the key that differs, named
    assert "Traceback" not in other.stderr
    taken = run_cli(["-m", "seed=1", hydra_override("hydra.sweep.dir", str(folder))],
                    tmp_path / "results")
    assert taken.returncode == 2 and "already holds a sweep (jobs.json)" in taken.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.slow
def test_resuming_refuses_a_config_edited_since_the_sweep_started(joblib_sweep, tmp_path):
    """An edited scenario or config file is not mixed into the sweep's completed jobs."""
    from omegaconf import OmegaConf

    folder = tmp_path / "sweep"
    shutil.copytree(joblib_sweep.folder, folder)
    (folder / "2" / "status.json").unlink()  # a job to rerun
    then = OmegaConf.load(folder / "multirun.yaml")
    now = then.staffing.red_cross_per_100k
    then.staffing.red_cross_per_100k = now + 10  # the value the sweep started with
    OmegaConf.save(then, folder / "multirun.yaml")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    proc = subprocess.run(shlex.split(rerun_command(folder, read_plan(folder))),
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "the config differs from the one the sweep" in proc.stderr
    assert f"staffing.red_cross_per_100k: {now + 10!r} then, {now!r} now" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


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


def test_a_wheel_is_built_afresh(tmp_path):
    """A module left in build/ by an earlier build does not go into the next wheel."""
    stale = tmp_path / "sim" / "removed_long_ago.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("x = 1\n")
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib",
                           str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists()
    assert (tmp_path / "sim" / "cluster.py").is_file()


# --- what a user of the cluster launcher sees ----------------------------------------------


def test_a_task_cancelled_before_it_started_says_so(tmp_path, squeue):
    folder = sweep_with_one_done(tmp_path / "s")
    write_slurm_tasks(folder, [SlurmTask(j, f"7_{j}", str(tmp_path / f"{j}.err"),
                                         str(tmp_path / f"{j}.out")) for j in (1, 2)])
    mark_ended(folder)
    (tmp_path / "states.txt").write_text("CANCELLED\n")  # Slurm still knows the task
    tables = gather(folder)
    assert tables.results["error"].iloc[1].startswith(
        "Slurm task 7_1: cancelled (scancel), before it started")
    (tmp_path / "states.txt").write_text("")  # forgotten by Slurm, and no log
    assert "never started (no log): cancelled while pending" in (
        gather(folder).results["error"].iloc[2])


def test_a_task_stopped_at_its_time_limit_is_lost_not_failed(tmp_path, monkeypatch):
    """submitit stops a run on Slurm's warning before the limit (UncompletedJobError)."""
    from submitit.core.utils import UncompletedJobError

    from sim.cli import main as cli

    def stopped(*args, **kwargs):
        raise UncompletedJobError("Job not requeued because: timed-out and not checkpointable.")

    monkeypatch.setattr(cli, "execute", stopped)
    cli._sweep_job(None, tmp_path / "3", ["seed=4"])  # type: ignore[arg-type]
    status = json.loads((tmp_path / "3" / "status.json").read_text())
    assert status["status"] == "lost"
    assert status["error"].startswith("killed at its time limit (timeout_min)")
    assert cluster.failure_reason(SimpleNamespace(job_id="5_1"), RuntimeError(
        "Traceback...\nsubmitit.core.utils.UncompletedJobError: Job not requeued because: "
        "timed-out and not checkpointable.")).startswith("Slurm task 5_1: killed at its time")


def test_progress_counts_lost_jobs_apart_from_failed_ones():
    from sim.cli.main import progress_line

    assert progress_line(3, 1, 6, 60, lost=2) == "6/6 jobs done (1 failed, 2 lost), 1:00 elapsed"


def test_a_cluster_sweep_checks_the_extremes_of_numbers_and_every_other_value():
    from hydra_plugins.blackout_sim_launcher._sweep import covering

    jobs = [[f"seed={s}", f"horizon_h={h}", f"scenarios={c}"]
            for s in range(1, 201) for h in (72, 720) for c in ("a", "b")]
    cover = covering(jobs)
    held = {o for job in cover for o in job}
    assert {"seed=1", "seed=200", "horizon_h=72", "horizon_h=720", "scenarios=a",
            "scenarios=b"} <= held
    assert len(cover) <= 4  # not 800: the seeds between need no check


def test_launcher_settings_are_named_with_what_is_allowed(tmp_path, monkeypatch):
    from hydra_plugins.blackout_sim_launcher._slurm import settings_problems

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sinfo").write_text("#!/bin/sh\nprintf 'debug*\\nlong\\n'\n")
    (bin_dir / "sinfo").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert cluster.partitions() == ["debug", "long"]
    good = {"timeout_min": None, "mem_gb": 4, "signal_delay_s": 30, "partition": "long"}
    assert settings_problems(good, None, 10, 60) == []
    bad = settings_problems({"timeout_min": 0, "mem_gb": -1, "signal_delay_s": 30,
                             "partition": "nope"}, None, 0, 60)
    assert any(p.startswith("hydra.launcher.timeout_min = 0: allowed: a whole number of at "
                            "least 1") for p in bad)
    assert any(p.startswith("hydra.launcher.mem_gb = -1") for p in bad)
    assert any(p.startswith("hydra.launcher.poll_s = 0") for p in bad)
    assert "hydra.launcher.partition = 'nope': is not a partition of this cluster; allowed: " \
           "debug, long (sinfo)" in bad
    late = settings_problems({"timeout_min": 1, "signal_delay_s": 60}, None, 10, 60)
    assert late and late[0].startswith("hydra.launcher.signal_delay_s = 60")


@pytest.mark.slow
@pytest.mark.parametrize(("args", "named"), [
    (["hydra.launcher.mem_gb=-1"], "hydra.launcher.mem_gb = -1"),
    (["hydra.launcher.timeout_min=0"], "hydra.launcher.timeout_min = 0"),
    (["horizon_h=72,720"], "horizon_h"),  # the model refuses 720 h: found before sbatch
])
def test_a_cluster_sweep_refused_leaves_nothing_and_exits_2(tmp_path, args, named):
    results = tmp_path / "results"
    proc = run_cli(["-m", "hydra/launcher=slurm", "seed=1,2", *args], results)
    assert proc.returncode == 2, proc.stderr
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert "[sweep]" not in proc.stderr  # no job count announced for a refused sweep
    assert not results.exists() or not any(results.rglob("*"))


@pytest.mark.slow
def test_a_folder_without_jobs_json_rebuilds_its_jobs_from_multirun_yaml(joblib_sweep, tmp_path,
                                                                          capsys):
    folder = tmp_path / "sweep"
    shutil.copytree(joblib_sweep.folder, folder)
    (folder / "jobs.json").unlink()
    shutil.rmtree(folder / "2")  # a job that left nothing
    assert gather(folder).plan is None  # sim.sweeps alone does not know Hydra's files
    from sim.cli.multirun import plan_from_multirun

    tables = gather(folder, plan_from_multirun)
    assert tables.plan is not None and tables.plan.rebuilt
    assert tables.results["status"].tolist() == ["completed", "failed", "lost", "failed"]
    assert "rebuilt from multirun.yaml" in report(tables)
    with pytest.raises(SystemExit) as exc:
        aggregate_main([str(folder), "--no-figures"])
    assert exc.value.code == 1


def test_rerun_command_with_nothing_to_rerun_says_so_on_stderr(tmp_path, capsys):
    folder = tmp_path / "s"
    write_plan(folder, JOBS[:1], ["seed=1", "x=1"], [])
    write_status(folder / "0", JOBS[0][1], "completed", 0.0)
    mark_ended(folder)
    aggregate_main([str(folder), "--rerun-command", "--no-figures"])
    out = capsys.readouterr()
    assert out.out == "" and "nothing to rerun: 1 jobs, none failed or lost" in out.err


@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_with_exit_130_and_says_how_to_go_on(tmp_path):
    import signal
    import time

    results = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "-m", f"results_dir={results}", "seed=1,2,3,4", *SMALL,
         "research.figures=false", "research.gis=false"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not list(results.glob("sweeps/*/*/*/status.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)  # one job ended, the others not yet
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "stopped: the jobs that ended are kept in" in err and "Traceback" not in err
    assert "--rerun-command" in err
    (folder,) = results.glob("sweeps/*/*")
    plan = read_plan(folder)
    assert plan is not None and plan.ended is not None  # the sweep's end is noted


def fake_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    """A shell script ``name`` first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
    (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_a_task_slurm_will_never_start_is_cancelled_and_lost(tmp_path, monkeypatch):
    fake_program(tmp_path, monkeypatch, "squeue", "echo '9_0 PENDING PartitionConfig'\n"
                                                  "echo '9_1 PENDING PartitionDown'")
    fake_program(tmp_path, monkeypatch, "scancel", f"echo \"$@\" >> {tmp_path / 'cancelled'}")
    stuck, waiting = FakeJob(tmp_path, "9_0"), FakeJob(tmp_path, "9_1")
    heard: list[str] = []
    events = cluster.wait_for([stuck, waiting], poll_s=0.01, lost_after_s=0, say=heard.append)
    index, why = next(events)
    assert index == 0 and why.startswith(
        "Slurm task 9_0: Slurm will never start it (PartitionConfig: it asks more than the "
        "partition allows")
    assert "; log" not in why  # it never ran: no log to point to
    assert (tmp_path / "cancelled").read_text().split() == ["9_0"]
    # A partition that is down may come up again: the task waits, and the terminal says why.
    assert heard == ["[slurm] 0 running, 2 pending (PartitionConfig: 1, PartitionDown: 1)"]


def test_without_squeue_a_slurm_job_is_unknown_not_lost(tmp_path, monkeypatch):
    fake_program(tmp_path, monkeypatch, "squeue", "echo 'slurm_load_jobs error' >&2; exit 1")
    folder = sweep_with_one_done(tmp_path / "s")
    write_slurm_tasks(folder, [SlurmTask(1, "7_1", "x", "y"), SlurmTask(2, "7_2", "x", "y")])
    mark_ended(folder)
    tables = gather(folder)
    assert list(tables.results["status"]) == ["completed", "unknown", "unknown"]
    assert tables.lost == [] and tables.rerun() is None
    assert "squeue could not be asked" in report(tables)
    with pytest.raises(SystemExit) as exc:
        aggregate_main([str(folder), "--no-figures"])
    assert exc.value.code == 1


def test_the_rerun_doubles_the_limit_a_task_was_killed_at(tmp_path, squeue):
    folder = tmp_path / "s"
    write_plan(folder, JOBS, ["seed=1,2,3", "x=1"],
               ["hydra/launcher=slurm", "hydra.launcher.timeout_min=15"])
    log = tmp_path / "1.err"
    log.write_text("*** JOB 7 ON vm CANCELLED AT 2026-12-03T09:30:22 DUE TO TIME LIMIT ***\n")
    write_status(folder / "0", JOBS[0][1], "completed", 0.0)
    write_slurm_tasks(folder, [SlurmTask(j, f"7_{j}", str(log), "y", 15, 2) for j in (1, 2)])
    mark_ended(folder)
    tables = gather(folder)
    words = shlex.split(tables.rerun() or "")
    assert "hydra.launcher.timeout_min=30" in words and "hydra.launcher.timeout_min=15" not in words
    assert not any(w.startswith("hydra.launcher.mem_gb") for w in words)
    assert "with twice the time limit" in report(tables)


def test_the_rerun_keeps_the_sweeps_config_flags(tmp_path, monkeypatch):
    from sim.sweeps.jobs import hydra_flags

    monkeypatch.chdir(tmp_path)
    assert hydra_flags(["--config-dir", "myconf", "-cn=other", "-m", "seed=1,2"]) == [
        "--config-dir", str(tmp_path / "myconf"), "-cn", "other"]
    monkeypatch.setattr(sys, "argv", ["sim", "-cd", "myconf", "-m", "seed=1,2"])
    write_plan(tmp_path / "s", JOBS[:2], ["seed=1,2"], [])
    plan = read_plan(tmp_path / "s")
    assert plan is not None
    words = shlex.split(rerun_command(tmp_path / "s", plan))
    assert words[1:6] == ["-m", "sim", "-cd", str(tmp_path / "myconf"), "-m"]


def test_many_lost_jobs_are_counted_by_reason(tmp_path):
    jobs = [(n, [f"seed={n}"]) for n in range(40)]
    folder = tmp_path / "s"
    write_plan(folder, jobs, ["seed=range(0,40)"], [])
    mark_ended(folder)
    text = report(gather(folder))
    assert text.count("\n  job ") == 12
    assert "... 28 more (sweep_results.csv lists them)" in text
    assert "40 x no status: the sweep ended or was stopped" in text


def test_a_results_dir_that_was_there_is_kept_when_nothing_is(tmp_path, monkeypatch):
    from sim.cli import main as cli

    monkeypatch.setattr(cli, "CREATED_FROM", [])  # results_dir existed before the command
    results = tmp_path / "results"
    (results / "sweeps" / "a" / "b").mkdir(parents=True)
    cli.remove_if_empty(results / "sweeps" / "a" / "b", up_to=results)
    assert results.is_dir() and not (results / "sweeps").exists()


def test_a_resumed_sweeps_progress_waits_for_its_own_job_list(tmp_path, capsys):
    import time

    from sim.cli.main import SweepCallback

    folder = sweep_with_one_done(tmp_path / "s")  # an earlier sweep's jobs.json and status
    callback = SweepCallback()
    callback._total = 3
    callback._started_at = time.time() + 5  # this sweep started after that jobs.json
    callback._show(folder)
    assert capsys.readouterr().err == ""
    callback._started_at = 0.0
    callback._show(folder)
    assert "[sweep] 1/3 jobs done" in capsys.readouterr().err


def test_a_jobs_status_holds_the_peak_memory_of_its_process(tmp_path):
    """What a cluster's ``mem_gb`` must cover: measured, not guessed (at least what was held)."""
    import json
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    block = bytearray(300 * 1024 * 1024)  # 300 MB, touched so that it is resident
    block[:: 4096] = b"x" * len(block[:: 4096])
    write_status(tmp_path / "0", ["seed=1"], "completed", 0.0)
    del block
    peak = json.loads((tmp_path / "0" / "status.json").read_text())["peak_memory_mb"]
    assert peak >= max(before, 300)
    assert peak < 300 + before + 200  # the process's own peak, not the machine's memory
