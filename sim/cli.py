"""The command line: the only module that knows Hydra.

``python -m sim`` (or ``blackout-sim``) composes the config from ``configs/``
and ``scenarios/``, validates it in one step, runs it and writes the run
folder. Bad input exits with status 2 and a message listing every problem,
before anything is written to ``results/``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.config import Config
from sim.errors import InputError, Problem
from sim.io import dump_json, environment, git_revision, remove_if_empty, write_run_folder
from sim.params import prepare
from sim.paths import CONFIG_DIR, PROJECT_ROOT
from sim.run import run

log = logging.getLogger("sim")

#: Exit status for rejected input.
EXIT_BAD_INPUT = 2


def register_configs() -> None:
    """Register the schema under a name the YAML names in its defaults list."""
    os.environ.setdefault("SIM_PROJECT_ROOT", str(PROJECT_ROOT))
    ConfigStore.instance().store(name="config_schema", node=Config)


def execute(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> Path:
    """Validate, run and write one run folder; raise ``InputError`` on bad input."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith("hydra."))
    if missing:
        raise InputError(Problem(k, "???", "is required: give it a value") for k in missing)
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    scenario = prepare({str(k): v for k, v in container.items()})
    result = run(scenario)
    wall = time.perf_counter() - t0
    manifest: dict[str, Any] = {
        "scenario": scenario.params.name,
        "seed": scenario.params.seed,
        "started_utc": started.isoformat(),
        "finished_utc": datetime.now(UTC).isoformat(),
        "wall_time_s": round(wall, 3),
        "git_revision": git_revision(),
        **environment(),
        "command": sys.argv,
        "overrides": overrides,
        "geodata": dict(scenario.region.provenance),
        "files": ["config.yaml", "manifest.json", "summary.json", "region.gpkg"],
    }
    tables = {f"{name}.csv": frame.to_csv(index=False, float_format="%.6g")
              for name, frame in result.tables().items()}
    manifest["files"] = [*manifest["files"], *tables]
    manifest["events_processed"] = result.model.events_processed
    texts = {
        "config.yaml": OmegaConf.to_yaml(OmegaConf.create(container)),
        "summary.json": dump_json(result.summary),
        "manifest.json": dump_json(manifest),
        **tables,
    }
    return write_run_folder(run_dir, texts, layers=scenario.region.layers())


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # per job: launchers may fork
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    try:
        written = execute(cfg, run_dir, list(hc.overrides.task))
    except InputError as exc:
        remove_if_empty(run_dir, up_to=Path(str(cfg.get("results_dir", run_dir))))
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except BaseException:
        remove_if_empty(run_dir, up_to=Path(str(cfg.get("results_dir", run_dir))))
        raise
    log.info("run written to %s", written)


def main() -> None:
    """Console entry point."""
    register_configs()
    _app()
