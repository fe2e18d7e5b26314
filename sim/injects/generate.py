"""An MSEL from a finished run folder (``blackout-sim-injects``, ``injects.enabled``).

The settings are the run's own ``injects`` config (``config.yaml``), over the
defaults in ``configs/injects/default.yaml`` for what the run has not, changed by
``key=value`` overrides. The MSEL goes to ``<run folder>/injects`` (or ``out``),
which must not exist yet; bad settings raise ``InputError`` before anything is
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.config.overrides import with_overrides
from sim.geo.load import RegionData
from sim.injects.export import write_msel
from sim.injects.msel import (
    Inject,
    Names,
    Settings,
    build_msel,
    known_names,
    settings_from,
)
from sim.injects.sources import load_run
from sim.paths import CONFIG_DIR

DEFAULTS = CONFIG_DIR / "injects" / "default.yaml"


def generate(run_folder: Path, overrides: Sequence[str] = (),
             out: Path | None = None) -> tuple[Path, list[Inject], Settings]:
    """Build and write the MSEL of a run folder; return where, the injects and settings."""
    run = load_run(run_folder)
    # A run made before a setting existed takes today's default for it.
    defaults = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    base = {**defaults, **(run.config.get("injects") or {})}
    settings = settings_from(with_overrides(base, overrides, "injects"), known_names(run))
    injects = build_msel(run, settings)
    target = Path(out) if out is not None else Path(run_folder) / "injects"
    write_msel(target, injects, settings)
    return target, injects, settings


def check_settings(cfg: Mapping[str, Any], region: RegionData,
                   horizon_h: float | None = None) -> Settings:
    """The ``injects`` settings of a run checked against its region before the run.

    Raises ``InputError`` naming every problem, so bad settings write nothing.
    """
    m = region.municipalities
    fs = region.fire_stations
    sites = {str(i): (str(c), "coordination_point" if bool(cp) else "fire_station")
             for i, c, cp in zip(fs["id"], fs["municipality"], fs["is_coordination_point"],
                                 strict=True)}
    sp = region.support_point_candidates
    sites.update({str(i): (str(c), "support_point")
                  for i, c in zip(sp["id"], sp["municipality"], strict=True)})
    return settings_from(cfg, Names(dict(zip(m["code"].astype(str), m["region"].astype(str),
                                             strict=True)), sites, horizon_h))
