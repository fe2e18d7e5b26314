"""Locations inside the project tree (the embedded geodata, the config tree)."""

from __future__ import annotations

from pathlib import Path

#: Root of the source tree (the project is installed in editable mode).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The embedded default geodata for Oost-5, built by ``geodata/build_oost5.py``.
EMBEDDED_GEOPACKAGE = PROJECT_ROOT / "geodata" / "oost5.gpkg"
#: The committed source table the embedded geodata is built from.
EMBEDDED_SOURCE_TABLE = PROJECT_ROOT / "geodata" / "source" / "oost5_municipalities.csv"
#: The Hydra config tree and the scenario presets.
CONFIG_DIR = PROJECT_ROOT / "configs"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
