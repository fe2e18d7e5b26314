"""Validated ``research`` settings: which figures and GIS layers a run gets.

Kept apart from :mod:`sim.research.figures` so that a run checks them without
importing matplotlib (a sweep job that draws nothing never imports it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from sim.errors import Problems
from sim.paths import CONFIG_DIR
from sim.research.coverage import OPEN, OPERATIONAL

DEFAULTS = CONFIG_DIR / "research" / "default.yaml"
#: Formats matplotlib writes that the figures may be saved in.
FORMATS = ("png", "svg", "pdf")
#: What counts as covering: the point states.
COVERING = {"open": OPEN, "operational": OPERATIONAL}


@dataclass(frozen=True)
class Settings:
    """Validated ``research`` settings."""

    figures: bool
    gis: bool
    formats: tuple[str, ...]
    map_hour: float
    hours: tuple[float, ...]
    covering: str
    timeline_municipality: str | None
    dpi: int


def settings_from(cfg: Mapping[str, Any], municipalities: Iterable[str] | None = None
                  ) -> Settings:
    """Validate the ``research`` config; raise ``InputError`` naming every problem."""
    p = Problems()
    k = "research"
    allowed_keys = {"figures", "gis", "formats", "map_hour", "hours", "covering",
                    "timeline_municipality", "dpi"}
    for key in sorted(set(cfg) - allowed_keys):
        p.add(f"{k}.{key}", cfg[key], f"unknown key; allowed: {sorted(allowed_keys)}")
    flags = {}
    for key in ("figures", "gis"):
        value = cfg.get(key, True)
        if not isinstance(value, bool):
            p.add(f"{k}.{key}", value, "true or false")
        flags[key] = bool(value)
    formats = cfg.get("formats") or []
    if not isinstance(formats, list | tuple) or not formats or any(
            f not in FORMATS for f in formats):
        p.add(f"{k}.formats", formats, f"a non-empty list of {list(FORMATS)}")
        formats = ["png"]

    def hour(field: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value >= 0):
            p.add(field, value, "an hour since the outage began: a number >= 0")
            return 0.0
        return float(value)

    map_hour = hour(f"{k}.map_hour", cfg.get("map_hour"))
    hours_cfg = cfg.get("hours")
    if not isinstance(hours_cfg, list | tuple) or not hours_cfg:
        p.add(f"{k}.hours", hours_cfg, "a non-empty list of hours, e.g. [12, 24, 48, 72, 96]")
        hours_cfg = []
    hours = tuple(hour(f"{k}.hours[{i}]", h) for i, h in enumerate(hours_cfg))
    covering = cfg.get("covering")
    if not isinstance(covering, str) or covering not in COVERING:
        p.add(f"{k}.covering", covering, f"one of {sorted(COVERING)}")
    muni = cfg.get("timeline_municipality")
    known = set(municipalities) if municipalities is not None else None
    if muni is not None and (not isinstance(muni, str) or (known is not None
                                                           and muni not in known)):
        example = f", e.g. {sorted(known)[0]}" if known else ""
        p.add(f"{k}.timeline_municipality", muni,
              "null (the hardest-hit municipality) or the CBS code (GM....) of a municipality "
              f"in the run{example}")
    dpi = cfg.get("dpi", 150)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 30 <= dpi <= 600:
        p.add(f"{k}.dpi", dpi, "a whole number from 30 to 600")
    p.raise_if_any()
    return Settings(figures=flags["figures"], gis=flags["gis"], formats=tuple(formats),
                    map_hour=map_hour, hours=hours, covering=str(covering),
                    timeline_municipality=muni, dpi=int(dpi))


def default_config() -> dict[str, Any]:
    """The defaults of ``configs/research/default.yaml``."""
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
