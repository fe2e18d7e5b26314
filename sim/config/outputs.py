"""Schemas of the config groups for what is made after a run: injects and research figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class SegmentConfig:
    """A segment of play: scenario hours from_h to to_h at speed (scenario hours per hour)."""

    from_h: float = MISSING
    to_h: float = MISSING
    speed: float = 1.0


@dataclass
class GripConfig:
    """The GRIP level in force from scenario hour at_h."""

    at_h: float = MISSING
    level: int = MISSING


@dataclass
class InjectsConfig:
    """Injects (MSEL) for an exercise, generated after the run (``sim.injects``)."""

    enabled: bool = False
    title: str = MISSING
    language: str = MISSING
    #: Teams in play: meldkamer, copi, rot:<region>, rbt:<region>, gbt:<code>,
    #: bevolkingszorg:<code>, cp:<site id>, nsp:<site id>.
    teams: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    min_per_team_hour: int = MISSING
    max_per_team_hour: int = MISSING
    max_silence_min: float = MISSING
    merge_min: float = MISSING
    spacing_min: float = MISSING
    contingency: bool = True
    contingency_after_min: float = MISSING
    #: Exercise start on the exercise clock (ISO date and time).
    start: str = MISSING
    break_min: float = 0.0
    segments: list[SegmentConfig] = field(default_factory=list)
    grip: list[GripConfig] = field(default_factory=list)


@dataclass
class ResearchConfig:
    """Researchers' figures and GIS layers after the run (``sim.research.figures``)."""

    figures: bool = True
    gis: bool = True
    formats: list[str] = field(default_factory=lambda: ["png", "svg"])
    dpi: int = 150
    map_hour: float = MISSING
    hours: list[float] = field(default_factory=list)
    #: open (with or without power) or operational (open with power).
    covering: str = MISSING
    #: A CBS code, or None: the hardest-hit municipality with activated points.
    timeline_municipality: str | None = None



@dataclass
class TablesConfig:
    """How the run's large tables are written (``sim.results.folder``)."""

    #: parquet (compressed) or csv.
    format: str = MISSING
    #: all, or summary: keep only the summary, manifest, config and small tables.
    keep: str = MISSING
