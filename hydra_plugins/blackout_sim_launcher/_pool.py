"""The pool launcher's work (``pool_launcher`` holds what Hydra sees).

A module whose name starts with ``_`` is not executed by Hydra's plugin scan, so
the functions the workers are sent by name stay the same objects.
"""

import contextlib
import itertools
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, run_job, setup_globals
from omegaconf import DictConfig, open_dict

#: Modules every job of this project imports; the fork server imports them once
#: (``_server_exit`` last: it makes the server leave at once when the sweep ends).
PRELOAD = ["sim.cli.main", "sim.params.validate", "sim.results.run", "sim.results.folder",
           "sim.injects.generate", "sim.research.settings", "pyarrow.parquet",
           "pyarrow.pandas_compat", "hydra_plugins.blackout_sim_launcher._server_exit"]



def workers_for(n_jobs: int, jobs: int, cpus: int | None = None) -> int:
    """Worker processes for ``jobs`` jobs: joblib's meaning of ``n_jobs``, at most one per job."""
    if cpus is None:
        cpus = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1)
    if n_jobs == 0:
        raise ValueError("hydra.launcher.n_jobs = 0: allowed: a positive number of workers, "
                         "or -1 for one per CPU core (-2 all but one, ...)")
    wanted = n_jobs if n_jobs > 0 else max(1, cpus + 1 + n_jobs)
    return max(1, min(wanted, jobs))


def fork_context() -> multiprocessing.context.BaseContext:
    """The fork-server context, its server started (importing ``PRELOAD``) if it is not yet.

    ``sim.cli.main`` calls this as a sweep's command starts, so that the server's
    imports run beside Hydra's composing in the main process.
    """
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
    return ctx


#: Set once a core is free for the main process's own work (the gatherer's imports):
#: when a worker has no job left to take, or the sweep has ended. Before, that work
#: would hold up the composing or take a core from a running job.
CORE_FREE = threading.Event()

#: (hydra_context, config, task_function, singleton_state) of this process's sweep.
SWEEP: list[Any] = []


def _start_worker(payload: bytes, main_pid: int) -> None:
    import cloudpickle

    SWEEP[:] = cloudpickle.loads(payload)
    threading.Thread(target=_end_with, args=(main_pid,), daemon=True).start()


def _end_with(main_pid: int) -> None:
    """End this worker when the sweep's main process has gone (killed, say)."""
    import time

    while True:
        time.sleep(1.0)
        try:
            os.kill(main_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def compose(idx: int, overrides: Sequence[str]) -> DictConfig:
    hydra_context, config, _, singleton_state = SWEEP
    setup_globals()
    Singleton.set_state(singleton_state)
    cfg = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(cfg):
        cfg.hydra.job.id = f"{cfg.hydra.job.name}_{idx}"
        cfg.hydra.job.num = idx
    return cfg


def _compose_in_worker(idx: int, overrides: Sequence[str]) -> bytes:
    """The composed config, or the error that stopped it with its causes (pickled)."""
    import cloudpickle

    try:
        return cloudpickle.dumps(("ok", compose(idx, overrides)))
    except Exception as exc:  # sent back whole, to be raised in the main process
        chain: list[BaseException] = []
        cause: BaseException | None = exc
        while cause is not None and len(chain) < 10:
            try:
                cloudpickle.dumps(cause)
                chain.append(cause)
            except Exception:
                chain.append(RuntimeError(f"{type(cause).__name__}: {cause}"))
            cause = cause.__cause__
        return cloudpickle.dumps(("error", chain))


def raise_composing_error(chain: Sequence[BaseException]) -> None:
    """Raise a worker's composing error in this process, its causes linked again.

    Pickling drops ``__cause__``; Hydra prints the cause (the key and the value that
    did not fit), so it is linked again here.
    """
    for error, cause in itertools.pairwise(chain):
        error.__cause__ = cause
    raise chain[0]


def run(cfg: DictConfig) -> JobReturn:
    hydra_context, _, task_function, singleton_state = SWEEP
    setup_globals()
    Singleton.set_state(singleton_state)
    HydraConfig.instance().set_config(cfg)
    return run_job(hydra_context=hydra_context, task_function=task_function, config=cfg,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def _run_in_worker(cfg_pickled: bytes) -> bytes:
    import cloudpickle

    return cloudpickle.dumps(run(cloudpickle.loads(cfg_pickled)))


def launch_on_workers(launcher: Any, jobs: Sequence[tuple[int, list[str]]], workers: int,
                      state: Any) -> list[JobReturn]:
    """Compose every job (here while the fork server imports, then on the workers), run them.

    ``jobs``: each job's number and overrides.
    """
    import cloudpickle

    sweep = [launcher.hydra_context, launcher.config, launcher.task_function, state]
    payload = cloudpickle.dumps(sweep)
    ctx = launcher._ctx or fork_context()
    CORE_FREE.clear()
    with (ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start_worker,
                              initargs=(payload, os.getpid())) as pool, _set_on_exit(CORE_FREE)):
        ready = threading.Event()
        starter = threading.Thread(target=_start_workers, args=(pool, workers, ready),
                                   daemon=True)
        starter.start()
        # While the fork server still imports the model, the jobs are composed here;
        # the rest are composed on the workers and here once the workers are up.
        SWEEP[:] = sweep
        configs: dict[int, Any] = {}
        todo = list(jobs)
        while todo and not ready.is_set():
            idx, overrides = todo.pop(0)
            configs[idx] = compose(idx, overrides)
        starter.join()
        # The rest: the workers take most, this process the last share (its own turn
        # while it waits for theirs).
        here = len(todo) // (workers + 1)
        composing = [(idx, pool.submit(_compose_in_worker, idx, o))
                     for idx, o in todo[:len(todo) - here]]
        tail_error: Exception | None = None
        for idx, overrides in todo[len(todo) - here:]:
            try:
                configs[idx] = compose(idx, overrides)
            except Exception as exc:  # raised after the workers' (earlier) jobs: in job order
                tail_error = exc
                break
        for idx, future in composing:
            outcome, value = cloudpickle.loads(future.result())
            if outcome == "error":
                raise_composing_error(value)
            configs[idx] = value
        if tail_error is not None:
            raise tail_error
        running: list[Future[bytes]] = [
            pool.submit(_run_in_worker, cloudpickle.dumps(configs[idx])) for idx, _ in jobs]
        _set_when_done(CORE_FREE, running, len(jobs) - workers + 1)
        return [cloudpickle.loads(f.result()) for f in running]


def _set_when_done(event: threading.Event, futures: Sequence[Future[Any]], count: int) -> None:
    """Set ``event`` once ``count`` of ``futures`` are done (at once if ``count`` < 1)."""
    if count < 1:
        event.set()
        return
    lock, done = threading.Lock(), [0]

    def one_done(_: Future[Any]) -> None:
        with lock:
            done[0] += 1
            if done[0] == count:
                event.set()

    for future in futures:
        future.add_done_callback(one_done)


@contextlib.contextmanager
def _set_on_exit(event: threading.Event) -> Iterator[None]:
    """Set ``event`` however the block ends (so that nothing waits for it for ever)."""
    try:
        yield
    finally:
        event.set()


def _ready() -> bool:
    return True


def _start_workers(pool: ProcessPoolExecutor, workers: int, ready: threading.Event) -> None:
    """Start all the pool's workers at once (they fork once the fork server has imported the model).

    The pool starts a worker for each task submitted while none is idle: one task
    per worker, submitted together, starts them all now rather than one by one as
    the jobs come.
    """
    try:
        for started in [pool.submit(_ready) for _ in range(workers)]:
            started.result()
    finally:
        ready.set()
