"""The pool launcher of sweeps: same results as in order, all-or-none composing, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import SMALL, run_cli

from hydra_plugins.blackout_sim_launcher import _pool
from hydra_plugins.blackout_sim_launcher._pool import workers_for

OFF = ["research.figures=false", "research.gis=false", "injects.enabled=false"]
#: Twente for 30 hours (the points' deadline at 24 h, inside the run): the launcher's
#: work is the same whatever the jobs simulate.
QUICK = ["region.select.regions=[Twente]", "horizon_h=30",
         "support_points.operational_deadline_h=24"]


def test_workers_follow_joblibs_n_jobs_and_never_exceed_the_jobs():
    assert workers_for(-1, 10, cpus=4) == 4
    assert workers_for(-2, 10, cpus=4) == 3
    assert workers_for(-8, 10, cpus=4) == 1
    assert workers_for(3, 10, cpus=4) == 3
    assert workers_for(8, 2, cpus=4) == 2  # no idle workers
    with pytest.raises(ValueError, match="n_jobs = 0"):
        workers_for(0, 10, cpus=4)


def test_the_sweeper_leaves_the_check_to_a_launcher_that_composes_first(monkeypatch):
    # Hydra's plugin scan executes plugin modules (and its own) again in place: take the
    # classes as they are after it, as Hydra does when it instantiates them.
    from hydra.core.plugins import Plugins

    Plugins.instance()
    from hydra_plugins.blackout_sim_launcher.pool_launcher import ComposingSweeper, PoolLauncher

    checked: list[list[str]] = []

    class Loader:
        def load_sweep_config(self, master_config, sweep_overrides):
            checked.append(sweep_overrides)

    sweeper = ComposingSweeper(max_batch_size=None)
    sweeper.config, sweeper.hydra_context = object(), None
    sweeper.config_loader = Loader()
    sweeper.launcher = PoolLauncher(n_jobs=2)
    sweeper.validate_batch_is_legal([["seed=1"], ["seed=2"]])
    assert checked == []  # the pool launcher composes each job once, before any runs
    sweeper.launcher = object()  # any other launcher: Hydra's own check
    sweeper.validate_batch_is_legal([["seed=1"], ["seed=2"]])
    assert checked == [["seed=1"], ["seed=2"]]
    # The cluster's launcher: jobs that together hold every text value and the smallest
    # and largest of each number, each composed and checked once.
    from hydra_plugins.blackout_sim_launcher import pool_launcher
    from hydra_plugins.blackout_sim_launcher.slurm_launcher import SlurmLauncher

    checked.clear()
    monkeypatch.setattr(pool_launcher._sweep, "check_jobs",
                        lambda sweeper, jobs: checked.extend(jobs))
    sweeper.launcher = SlurmLauncher(submitit_folder="x")
    batch = [[f"a={a}", f"seed={s}", f"mode={m}"] for a in (1, 2, 3) for s in range(1, 11)
             for m in ("x", "y")]
    sweeper.validate_batch_is_legal(batch)
    assert checked == [["a=1", "seed=1", "mode=x"], ["a=1", "seed=1", "mode=y"],
                       ["a=1", "seed=10", "mode=x"], ["a=3", "seed=1", "mode=x"]]


def test_a_job_that_cannot_be_composed_comes_back_as_its_error():
    class Loader:
        def load_sweep_config(self, master_config, overrides):
            raise ValueError(f"cannot compose {overrides}")

    class Context:
        config_loader = Loader()

    _pool.SWEEP[:] = [Context(), None, None, {"instances": {}, "omegaconf_resolvers": {}}]
    import cloudpickle

    outcome, chain = cloudpickle.loads(_pool._compose_in_worker(3, ["horizon_h=abc"]))
    assert outcome == "error" and isinstance(chain[0], ValueError)
    assert "horizon_h=abc" in str(chain[0])


def test_a_composing_error_is_raised_with_its_cause_linked_again():
    import cloudpickle

    try:
        try:
            raise KeyError("horizon_h: 'abc' is not an int")
        except KeyError as cause:
            raise ValueError("Error merging override horizon_h=abc") from cause
    except ValueError as exc:
        chain = [exc, exc.__cause__]
    sent = cloudpickle.loads(cloudpickle.dumps(chain))
    assert sent[0].__cause__ is None  # what pickling loses
    with pytest.raises(ValueError) as raised:
        _pool.raise_composing_error(sent)
    assert "'abc'" in str(raised.value.__cause__)


def test_the_main_process_gets_a_core_once_a_worker_has_no_job_left():
    """4 jobs on 2 workers: a core is free when the 3rd job ends (no job is left to take)."""
    import threading
    from concurrent.futures import Future

    event = threading.Event()
    futures: list[Future[bytes]] = [Future() for _ in range(4)]
    _pool._set_when_done(event, futures, 4 - 2 + 1)
    for i, future in enumerate(futures):
        assert event.is_set() == (i >= 3)
        future.set_result(b"")
    assert event.is_set()
    at_once = threading.Event()
    _pool._set_when_done(at_once, futures[:1], 1 - 2 + 1)  # fewer jobs than workers
    assert at_once.is_set()


def test_the_fork_server_leaves_without_python_teardown():
    """The server's last preload makes it leave at once (flushed, status 0) when it ends.

    Its teardown would keep the sweep's output streams open after the sweep ends.
    """
    assert _pool.PRELOAD[-1] == "hydra_plugins.blackout_sim_launcher._server_exit"
    code = ("import atexit, sys; atexit.register(print, 'teardown ran'); "
            "import hydra_plugins.blackout_sim_launcher._server_exit; "
            "print('served', flush=False); sys.exit(3)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "served\n"  # its own output flushed; the handlers before it skipped


def _summaries(results: Path) -> dict[str, dict]:
    (sweep,) = (results / "sweeps" / "oost5_default").iterdir()
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    out = {}
    for job in jobs:
        summary = json.loads((job / "summary.json").read_text())
        status = json.loads((job / "status.json").read_text())
        out[" ".join(o for o in status["overrides"] if not o.startswith("results_dir"))] = summary
    return out


@pytest.mark.slow
def test_two_workers_give_the_same_jobs_as_one(tmp_path):
    sweep = ["-m", "seed=1,2", *QUICK, *OFF]
    serial = run_cli([*sweep, "hydra.launcher.n_jobs=1"], tmp_path / "serial")
    assert serial.returncode == 0, serial.stderr[-2000:]
    parallel = run_cli([*sweep, "hydra.launcher.n_jobs=2"], tmp_path / "parallel")
    assert parallel.returncode == 0, parallel.stderr[-2000:]
    assert "on 2 workers" in parallel.stdout + parallel.stderr
    assert "on 1 worker," in serial.stdout + serial.stderr
    a, b = _summaries(tmp_path / "serial"), _summaries(tmp_path / "parallel")
    assert len(a) == 2 and a == b
    first, second = a.values()
    assert first != second  # each job ran its own seed


@pytest.mark.slow
def test_a_later_job_that_cannot_be_composed_stops_the_sweep_before_any_runs(tmp_path):
    results = tmp_path / "results"
    proc = run_cli(["-m", "horizon_h=72,73,74,75,76,nope", *SMALL[:1], *OFF,
                    "hydra.launcher.n_jobs=2"], results, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-1500:]
    assert "horizon_h" in proc.stderr and "'nope'" in proc.stderr
    assert not results.exists()


def _processes_marked(mark: str) -> list[int]:
    """Processes whose environment holds ``SIM_TEST_MARK=<mark>``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if f"SIM_TEST_MARK={mark}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_killed_sweep_leaves_no_worker_behind(tmp_path):
    mark = uuid.uuid4().hex
    results = tmp_path / "results"
    cmd = [sys.executable, "-m", "sim", "-m", f"results_dir={results}", "seed=1,2,3,4",
           *SMALL, *OFF, "hydra.launcher.n_jobs=2"]
    main = subprocess.Popen(cmd, cwd=tmp_path, env={**os.environ, "SIM_TEST_MARK": mark},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_processes_marked(mark)) < 4:
            time.sleep(0.2)  # the main process, the fork server and two workers
        assert len(_processes_marked(mark)) >= 4, "the workers never started"
    finally:
        main.send_signal(signal.SIGKILL)
        main.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _processes_marked(mark):
        time.sleep(0.2)
    assert _processes_marked(mark) == []
