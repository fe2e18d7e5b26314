"""A sweep's job list rebuilt from Hydra's ``multirun.yaml`` (when ``jobs.json`` is gone).

Here, not in ``sim.sweeps``, because it needs Hydra's override parser: only the
command line knows Hydra. Passed to ``sim.sweeps.jobs.read_plan`` (and through
``gather`` and ``aggregate``) as ``rebuild``.
"""

from __future__ import annotations

import socket
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.sweeps.jobs import SweepPlan


def plan_from_multirun(folder: Path) -> SweepPlan | None:
    """The jobs a sweep made, from Hydra's ``multirun.yaml``, when ``jobs.json`` is gone.

    The sweep's overrides are expanded as Hydra's basic sweeper does (same jobs, same
    numbers). Whether the sweep still runs is not known then: a job without a status
    counts as lost. None when there is no readable ``multirun.yaml``.
    """
    path = Path(folder) / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        cfg = OmegaConf.load(path)
        task = [str(o) for o in cfg.hydra.overrides.task]
        hydra = [str(o) for o in cfg.hydra.overrides.hydra]
        parsed = OverridesParser.create().parse_overrides(task)
        batches = BasicSweeper.split_arguments(parsed, None)
    except Exception:  # an unreadable file, or a sweep the parser needs the config for
        return None
    jobs = {i: list(o) for i, o in enumerate(o for batch in batches for o in batch)}
    return SweepPlan(jobs=jobs, task_overrides=task, hydra_overrides=hydra,
                     host=socket.gethostname(), ended="unknown", rebuilt=True)
