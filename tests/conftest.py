"""Shared fixtures: the composed default config, the real boundary files, a CLI runner."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from sim.cli.main import register_configs
from sim.paths import CONFIG_DIR, PROJECT_ROOT

SHARED_GEODATA = PROJECT_ROOT.parent / "shared" / "geodata"
REAL_MUNICIPALITIES = SHARED_GEODATA / "gemeente_2025_rd.geojson"
REAL_REGIONS = SHARED_GEODATA / "veiligheidsregio_2025_wgs84.geojson"


def compose_config(overrides: list[str] | None = None) -> dict[str, Any]:
    """The config as Hydra composes it from configs/ and scenarios/, as a plain dict."""
    register_configs()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides or [])
    container = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return container


_DEFAULT: dict[str, Any] | None = None


@pytest.fixture
def default_cfg() -> dict[str, Any]:
    """A fresh deep copy of the composed default config (safe to mutate)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = compose_config()
    return copy.deepcopy(_DEFAULT)


@pytest.fixture
def real_municipalities() -> Path:
    """The real CBS 2025 municipal boundaries (skip when the shared folder is absent)."""
    if not REAL_MUNICIPALITIES.is_file():
        pytest.skip(f"{REAL_MUNICIPALITIES} not present")
    return REAL_MUNICIPALITIES


def run_cli(args: list[str], results_dir: Path, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim`` with ``results_dir`` pointed at a temporary folder."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    flags = [a for a in args if a.startswith("-")]  # Hydra's flags come before overrides
    overrides = [a for a in args if not a.startswith("-")]
    return subprocess.run(
        [sys.executable, "-m", "sim", *flags, f"results_dir={results_dir}", *overrides],
        capture_output=True, text=True, timeout=timeout, cwd=cwd or results_dir.parent, env=env,
    )


def single_run(args: list[str], results_dir: Path) -> Path:
    """Run ``python -m sim`` (it must succeed) and return the one run folder it wrote."""
    proc = run_cli(args, results_dir)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (results_dir / "runs" / "oost5_default").iterdir()
    return folder


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (empty when it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
