"""A sweep launcher for one machine whose workers start with the model already imported.

Hydra's joblib launcher spends, for every sweep, time that does not shrink with
more workers: the sweeper composes every job's config in the main process to
check it, each job composes it again in its worker, and every worker imports the
model (pandas, geopandas, networkx, SimPy, pyarrow) on its own before the first
job. On two cores that fixed time held a 4-job sweep to a speed-up of about 1.4
(``benchmarks/bench_sweep.py``).

``hydra/launcher=pool`` (the project's default) does the same work once and in
parallel:

1. the workers are forked from a fork server that imported the model once
   (``_pool.PRELOAD``); the server is started as soon as the sweep's command starts,
   so its imports run beside Hydra's own composing in the main process; all
   workers start at once, and the server leaves without Python's teardown when
   the sweep ends (``_server_exit``);
2. every job's config is composed once before any job runs: in the main
   process while the fork server imports, then on the workers and, for its
   share, in the main process; one that cannot be composed stops the sweep with
   Hydra's message and nothing runs (as Hydra's own check before launching would);
3. the jobs run on the workers with the configs composed in step 2; the main
   process's own work (importing the gatherer) waits for a free core.

With ``n_jobs=1`` (or a single job) everything runs in the main process, in
order, as the joblib launcher does. Workers end themselves when the main process
dies (a killed sweep leaves no worker behind).

``hydra/sweeper=composing`` is Hydra's basic sweeper that leaves the check of
each job's config to a launcher that does it itself (``pool``); with any other
launcher it checks as the basic sweeper does.
"""


import logging
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, filter_overrides, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.blackout_sim_launcher import _pool, _sweep
from hydra_plugins.blackout_sim_launcher._pool import fork_context, workers_for

log = logging.getLogger(__name__)


@dataclass
class PoolLauncherConf:
    """``hydra/launcher=pool``."""

    _target_: str = "hydra_plugins.blackout_sim_launcher.pool_launcher.PoolLauncher"
    #: Worker processes: -1 for one per CPU core, -2 for all but one; 1 runs in order here.
    n_jobs: int = -1


@dataclass
class ComposingSweeperConf:
    """``hydra/sweeper=composing``."""

    _target_: str = "hydra_plugins.blackout_sim_launcher.pool_launcher.ComposingSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    #: Rerun only the jobs of the sweep in ``hydra.sweep.dir`` that did not complete.
    resume: bool = False


ConfigStore.instance().store(group="hydra/launcher", name="pool", node=PoolLauncherConf,
                             provider="blackout-sim")
ConfigStore.instance().store(group="hydra/sweeper", name="composing",
                             node=ComposingSweeperConf, provider="blackout-sim")


class ComposingSweeper(BasicSweeper):
    """Hydra's basic sweeper; the check of every job's config is left to a ``pool`` launcher.

    It also writes the sweep's job list first (``jobs.json``) and can resume a sweep
    (``resume``): see ``_sweep``.
    """

    def __init__(self, max_batch_size: int | None = None,
                 params: dict[str, str] | None = None, resume: bool = False) -> None:
        BasicSweeper.__init__(self, max_batch_size=max_batch_size, params=params)
        self.resume = bool(resume)

    def sweep(self, arguments: list[str]) -> Any:
        """Every job (or, resuming, those that did not complete), in batches."""
        return _sweep.sweep(self, arguments)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Composed once, in parallel, by a launcher that does it; here otherwise.

        For a launcher that sends jobs elsewhere (``checks_a_cover``: the cluster's)
        only jobs that together hold every override value (of a numeric key, its
        smallest and largest) are composed here, and checked as the model checks a
        run: a value that does not fit its key, or that the model refuses, stops the
        sweep before anything is submitted, and a 1,000-job sweep does not wait minutes
        for the check. A job that still fails does so on its node and is reported.
        """
        if getattr(self.launcher, "composes_first", False):
            return
        if getattr(self.launcher, "checks_a_cover", False):
            _sweep.check_jobs(self, _sweep.covering(batch))
            return
        # Named, not super(): Hydra's plugin scan may execute this module again.
        BasicSweeper.validate_batch_is_legal(self, batch)


class PoolLauncher(Launcher):
    """Runs a sweep's jobs on worker processes of this machine (see the module docstring)."""

    #: Tells :class:`ComposingSweeper` that this launcher checks every job's config itself.
    composes_first = True

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = int(n_jobs)
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None
        self._ctx: multiprocessing.context.BaseContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        """Keep the sweep's context; start the fork server unless one worker will do."""
        self.config, self.task_function, self.hydra_context = config, task_function, hydra_context
        workers_for(self.n_jobs, 2)  # n_jobs = 0 is refused before anything runs
        if self.n_jobs != 1:
            self._ctx = fork_context()

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        """Compose every job (all or none run), then run them; results in job order."""
        return self.launch_numbered([(initial_job_idx + i, list(o))
                                     for i, o in enumerate(job_overrides)])

    def launch_numbered(self, jobs: Sequence[tuple[int, list[str]]]) -> Sequence[JobReturn]:
        """As :meth:`launch`, for jobs with their own numbers (a resumed sweep's)."""
        assert self.config is not None and self.hydra_context is not None
        setup_globals()
        sweep_dir = str(self.config.hydra.sweep.dir)
        os.makedirs(sweep_dir, exist_ok=True)
        workers = workers_for(self.n_jobs, len(jobs))
        log.info("Launching %d jobs on %d worker%s, sweep output dir : %s", len(jobs),
                 workers, "" if workers == 1 else "s", sweep_dir)
        for idx, overrides in jobs:
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        state = Singleton.get_state()
        if workers == 1:
            _pool.SWEEP[:] = [self.hydra_context, self.config, self.task_function, state]
            configs = [_pool.compose(idx, o) for idx, o in jobs]
            _pool.CORE_FREE.set()  # the jobs run here: the gatherer imports beside them
            return [_pool.run(cfg) for cfg in configs]
        return _pool.launch_on_workers(self, jobs, workers, state)
