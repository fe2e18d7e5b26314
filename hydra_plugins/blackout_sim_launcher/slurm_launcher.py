"""``hydra/launcher=slurm``: a sweep on a Slurm cluster, its lost jobs reported.

Built on Hydra's submitit launcher (``submitit_slurm``), with what a real
cluster needs (see the README, "On a cluster"):

- the sweep's jobs go out as one job array named ``blackout-sim-<scenario>``,
  at most ``array_parallelism`` tasks at once;
- each task starts in the environment the command was started from
  (``setup``: its virtual environment activated, the project root exported;
  ``python``: this interpreter). Both can be overridden, e.g.
  ``hydra.launcher.setup='[module load Python/3.11, source /shared/venv/bin/activate]'
  hydra.launcher.python=python``;
- the sweep folder and submitit's logs are absolute paths, so a task finds them
  from whatever folder it starts in (they must be on a shared filesystem);
- ``timeout_min`` and ``mem_gb`` left at null are sized from the sweep's largest
  job (its municipalities and horizon: a national run gets more than an Oost-5
  one); set them to override;
- its settings are checked before anything is written (an unknown partition, a
  memory or time limit that is not positive: exit status 2, the key named);
- the command waits without Slurm's accounting: a task is done when its result
  appears, lost when ``squeue`` no longer lists it and no result came within
  ``lost_after_s``. A lost job's ``status.json`` says why (cancelled, time limit,
  out of memory); the sweep's table marks it ``lost`` and the command exits 1,
  printing the command that reruns only the jobs that did not complete.
"""

import logging
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, filter_overrides
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, SlurmQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import BaseSubmititLauncher
from omegaconf import OmegaConf

from hydra_plugins.blackout_sim_launcher import _slurm
from hydra_plugins.blackout_sim_launcher._sweep import SweepRefused
from sim.cluster import SIGNAL_DELAY_S, environment_setup
from sim.sweeps.jobs import hydra_override

log = logging.getLogger(__name__)
#: Jobs whose overrides are echoed when submitted (with the last one).
ECHOED = 10


@dataclass
class SlurmConf(SlurmQueueConf):
    """``hydra/launcher=slurm``: submitit_slurm's settings, with this project's defaults."""

    _target_: str = "hydra_plugins.blackout_sim_launcher.slurm_launcher.SlurmLauncher"
    name: str = "blackout-sim-${folder_name:${name}}"
    #: null: sized from the sweep's largest job (minutes).
    timeout_min: int | None = None
    #: null: sized from the sweep's largest job (GB).
    mem_gb: int | None = None
    cpus_per_task: int | None = 1
    array_parallelism: int = 100
    #: null: activate the environment this command runs in (see the module docstring).
    setup: list[str] | None = None
    #: null: the interpreter this command runs in (an absolute path).
    python: str | None = None
    #: Seconds before the time limit that Slurm warns a task; its run stops there and is
    #: reported lost at its time limit (Hydra's 120 would end every task 2 min early).
    signal_delay_s: int = SIGNAL_DELAY_S
    #: Seconds between looks at the queue and the result files.
    poll_s: float = 10.0
    #: Seconds a task may be gone from the queue before its missing result makes it lost.
    lost_after_s: float = 60.0


ConfigStore.instance().store(group="hydra/launcher", name="slurm", node=SlurmConf,
                             provider="blackout-sim")


class SlurmLauncher(BaseSubmititLauncher):
    """Runs a sweep's jobs as a Slurm job array (see the module docstring)."""

    _EXECUTOR = "slurm"
    #: Tells the composing sweeper to check a cover of the jobs, not each of them.
    checks_a_cover = True

    def __init__(self, python: str | None = None, poll_s: float = 10.0,
                 lost_after_s: float = 60.0, **params: Any) -> None:
        # Named, not super(): Hydra's plugin scan may execute this module again.
        BaseSubmititLauncher.__init__(self, **params)
        self.python = python
        self.poll_s, self.lost_after_s = float(poll_s), float(lost_after_s)

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        """Submit the jobs as one array and wait for every task; results in job order."""
        return self.launch_numbered([(initial_job_idx + i, list(o))
                                     for i, o in enumerate(job_overrides)])

    def check_settings(self) -> None:
        """Refuse settings Slurm would refuse or misuse, before anything is written."""
        problems = _slurm.settings_problems(dict(self.params), self.python, self.poll_s,
                                            self.lost_after_s)
        if problems:
            raise SweepRefused("; ".join(problems))

    def _size(self, keys: Sequence[str]) -> tuple[int, int]:
        assert self.hydra_context is not None and self.config is not None
        return _slurm.size(self.hydra_context.config_loader.load_sweep_config(
            self.config, list(keys)))

    def launch_numbered(self, jobs: Sequence[tuple[int, list[str]]]) -> Sequence[JobReturn]:
        """As :meth:`launch`, for jobs with their own numbers (a resumed sweep's)."""
        import submitit

        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir)).absolute()
        sweep_dir.mkdir(parents=True, exist_ok=True)
        params = dict(self.params)
        if params.get("setup") is None:
            params["setup"] = environment_setup()
        sizes = [self._size(k) for k in _slurm.distinct(_slurm.size_keys(o) for _, o in jobs)]
        params = _slurm.array_parameters(params, sizes)
        folder = Path(str(params.pop("submitit_folder"))).absolute()
        executor = submitit.AutoExecutor(
            folder=folder, cluster="slurm", slurm_python=self.python or sys.executable,
            slurm_max_num_timeout=params.pop("max_num_timeout"))
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{k if k in base else f"slurm_{k}": v
                                      for k, v in params.items()})
        log.info("Submitting %d jobs to Slurm (%s, %s min, %s GB each), sweep output dir : %s",
                 len(jobs), params["name"], params["timeout_min"], params["mem_gb"], sweep_dir)
        here = hydra_override("hydra.sweep.dir", str(sweep_dir))
        job_params = []
        for k, (number, overrides) in enumerate(jobs):
            if k < ECHOED or k == len(jobs) - 1:
                log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
            elif k == ECHOED:
                log.info("\t... (%d more; every job's overrides are in jobs.json)",
                         len(jobs) - ECHOED - 1)
            job_params.append(([*overrides, here], "hydra.sweep.dir", number,
                               f"job_id_for_{number}", Singleton.get_state()))
        made = not (sweep_dir / ".submitit").exists()
        try:
            submitted = executor.map_array(self, *zip(*job_params, strict=True))
        except Exception as exc:  # sbatch refused: an account, a QOS, a limit
            if made and folder.is_relative_to(sweep_dir / ".submitit"):
                shutil.rmtree(sweep_dir / ".submitit", ignore_errors=True)
            raise SweepRefused("hydra.launcher: Slurm refused the jobs (sbatch): "
                               + _slurm.last_line(exc)) from exc
        return _slurm.wait(submitted, jobs, sweep_dir, self.poll_s, self.lost_after_s,
                           (int(params["timeout_min"]), int(params["mem_gb"])))
