"""Parameters of the outage: when, where, how long, and how power returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sim.params.reader import NAME, Reader
from sim.params.timedist import TimeDist, read_time_dist


@dataclass(frozen=True)
class Wave:
    """A restoration wave."""

    regions: tuple[str, ...]
    municipalities: tuple[str, ...]
    share: float | None
    after: TimeDist


@dataclass(frozen=True)
class Rotating:
    """Rotating supply while restoration is under way."""

    enabled: bool
    on_h: float
    off_h: float


@dataclass(frozen=True)
class Area:
    """An outage area smaller than a municipality (``sim.geo.areas``)."""

    code: str
    name: str
    demand_points: tuple[str, ...] = ()
    wkt: str | None = None


@dataclass(frozen=True)
class OutageParams:
    """When and where the power goes out."""

    start: datetime
    duration: TimeDist
    affected_regions: tuple[str, ...]
    affected_municipalities: tuple[str, ...]
    waves: tuple[Wave, ...] = ()
    rotating: Rotating = Rotating(enabled=False, on_h=2.0, off_h=4.0)
    areas: tuple[Area, ...] = ()


def read_outage(c: Reader) -> OutageParams:
    """The ``outage`` group: start, duration, affected area, waves and rotating supply."""
    raw_start = c.text("outage.start")
    start = datetime(2026, 1, 15, 17)
    if raw_start:
        try:
            given = datetime.fromisoformat(raw_start)
        except ValueError:
            c.problems.add("outage.start", raw_start,
                           "must be a local date and time in ISO format, e.g. 2026-01-15T17:00")
        else:
            if given.tzinfo is not None:  # a clock time elsewhere would be silently wrong
                c.problems.add("outage.start", raw_start,
                               "must be a Dutch local date and time without a UTC offset, "
                               "e.g. 2026-01-15T17:00")
            else:
                start = given
    duration = read_time_dist(c, "outage.duration", positive=True)
    waves_raw = c.get("outage.waves")
    waves: list[Wave] = []
    if isinstance(waves_raw, list | tuple):
        for i, _ in enumerate(waves_raw):
            key = f"outage.waves.{i}"
            share = c.get(f"{key}.share")
            waves.append(Wave(
                regions=c.codes(f"{key}.regions"),
                municipalities=c.codes(f"{key}.municipalities"),
                share=None if share is None or share is c.ABSENT else c.share(f"{key}.share"),
                after=read_time_dist(c, f"{key}.after"),
            ))
            w = waves[-1]
            if w.share is not None and (w.regions or w.municipalities):
                c.problems.add(f"{key}.share", w.share, "give either a share or lists of "
                               "regions/municipalities, not both")
    elif waves_raw is not c.ABSENT and waves_raw is not None:
        c.problems.add("outage.waves", waves_raw, "must be a list of waves")
    rotating = Rotating(
        enabled=c.flag("outage.rotating.enabled"),
        on_h=c.number("outage.rotating.on_h", lo=0, hi=48, lo_open=True),
        off_h=c.number("outage.rotating.off_h", lo=0, hi=48, lo_open=True),
    )
    if rotating.enabled and len(waves) < 2:
        c.problems.add("outage.rotating.enabled", True, "rotating supply runs between "
                       f"restoration waves; configure at least two outage.waves "
                       f"(there are {len(waves)})")
    areas: list[Area] = []
    raw_areas = c.get("outage.areas")
    if isinstance(raw_areas, list | tuple):
        for i, _ in enumerate(raw_areas):
            key = f"outage.areas.{i}"
            areas.append(Area(
                code=c.text(f"{key}.code", pattern=NAME,
                            allowed="letters, digits, '_', '.', '-'"),
                name=c.text(f"{key}.name"),
                demand_points=c.codes(f"{key}.demand_points"),
                wkt=c.optional_text(f"{key}.wkt"),
            ))
    elif raw_areas is not c.ABSENT and raw_areas is not None:
        c.problems.add("outage.areas", raw_areas, "must be a list of areas")
    return OutageParams(
        start=start,
        duration=duration,
        affected_regions=c.codes("outage.affected.regions"),
        affected_municipalities=c.codes("outage.affected.municipalities"),
        waves=tuple(waves),
        rotating=rotating,
        areas=tuple(areas),
    )
