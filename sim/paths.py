"""Locations inside the project tree (the embedded geodata, the config tree)."""

from __future__ import annotations

from pathlib import Path

#: Where a non-editable install (a wheel) keeps the configs and geodata (``setup.py``).
_PACKAGED = Path(__file__).resolve().parent / "_data"
#: Root of the source tree (an editable install), or of the data a wheel carries.
PROJECT_ROOT = (_PACKAGED if (_PACKAGED / "configs").is_dir()
                else Path(__file__).resolve().parent.parent)
#: The embedded geodata: the whole Netherlands on real municipal boundaries (2025),
#: built by ``geodata/build.py``.
EMBEDDED_GEOPACKAGE = PROJECT_ROOT / "geodata" / "nl.gpkg"
#: The committed municipal table it is built from (342 municipalities, CBS 1 Jan 2025).
EMBEDDED_SOURCE_TABLE = PROJECT_ROOT / "geodata" / "source" / "nl_municipalities_2025.csv"
#: Per safety region: fire stations, backup-power shares and crews, with sources.
EMBEDDED_REGION_TABLE = PROJECT_ROOT / "geodata" / "source" / "safety_regions.csv"
#: The Hydra config tree and the scenario presets.
CONFIG_DIR = PROJECT_ROOT / "configs"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
