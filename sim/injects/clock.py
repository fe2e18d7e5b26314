"""The exercise clock: a few hours of play that cover days of the simulated outage.

The designer plays segments of the scenario, each at its own speed, with time
jumps in between: for example scenario hours 2 to 6 in real time, then a jump
to hour 24 and hours 24 to 36 at four times real speed. Play starts at the
exercise's start (a date and time on the exercise clock); each segment follows
the previous one after an optional break. An event at scenario hour ``t`` in a
segment is delivered at ``segment start + (t - segment from_h) / speed``.
Events before a segment that were not played (before the first segment, or
skipped by a jump) are summarised at the segment's start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Segment:
    """Scenario hours ``from_h`` to ``to_h`` played at ``speed`` scenario hours per hour."""

    from_h: float
    to_h: float
    speed: float = 1.0

    @property
    def play_h(self) -> float:
        """Hours of play on the exercise clock."""
        return (self.to_h - self.from_h) / self.speed


@dataclass(frozen=True)
class ExerciseClock:
    """Segments of play from ``start`` on, with ``break_min`` minutes between segments."""

    start: datetime
    segments: tuple[Segment, ...]
    break_min: float = 0.0

    def __post_init__(self) -> None:
        problems = check_segments(self.segments)
        if problems:
            raise ValueError("; ".join(problems))

    def segment_starts(self) -> list[datetime]:
        """When each segment starts on the exercise clock."""
        starts = []
        at = self.start
        for seg in self.segments:
            starts.append(at)
            at += timedelta(hours=seg.play_h, minutes=self.break_min)
        return starts

    def end(self) -> datetime:
        """When play ends."""
        last = self.segments[-1]
        return self.segment_starts()[-1] + timedelta(hours=last.play_h)

    def segment_of(self, t: float) -> int | None:
        """The segment that plays scenario hour ``t`` (None: not played)."""
        for i, seg in enumerate(self.segments):
            if seg.from_h <= t < seg.to_h or (i == len(self.segments) - 1 and t == seg.to_h):
                return i
        return None

    def deliver_at(self, t: float) -> datetime | None:
        """Delivery time on the exercise clock of an event at scenario hour ``t``.

        Rounded up to the whole minute after the exercise's start (within the segment).
        """
        i = self.segment_of(t)
        if i is None:
            return None
        seg = self.segments[i]
        at = self.segment_starts()[i] + timedelta(hours=(t - seg.from_h) / seg.speed)
        rounded = self.start + timedelta(minutes=minutes_of((at - self.start)
                                                            .total_seconds() / 3600))
        return min(rounded, self.segment_end(i))

    def scenario_hour(self, at: datetime) -> float | None:
        """The scenario hour played at ``at`` on the exercise clock (None: a break or after)."""
        for start, seg in zip(self.segment_starts(), self.segments, strict=True):
            if start <= at <= start + timedelta(hours=seg.play_h):
                return seg.from_h + (at - start).total_seconds() / 3600 * seg.speed
        return None

    def segment_end(self, i: int) -> datetime:
        """When segment ``i`` ends on the exercise clock."""
        return self.segment_starts()[i] + timedelta(hours=self.segments[i].play_h)

    def resumption_of(self, t: float) -> int | None:
        """The segment at whose start an unplayed event at ``t`` is summarised (None: after)."""
        for i, seg in enumerate(self.segments):
            if t < seg.from_h:
                return i
        return None

    def play_hours(self) -> float:
        """Hours of play, without breaks."""
        return sum(seg.play_h for seg in self.segments)


def check_segments(segments: Sequence[Segment]) -> list[str]:
    """Problems with a list of segments: empty, reversed, overlapping or standing still."""
    problems = []
    if not segments:
        problems.append("at least one segment of play is needed")
    for i, seg in enumerate(segments):
        if seg.speed <= 0:
            problems.append(f"segment {i}: speed must be > 0, got {seg.speed:g}")
        if seg.to_h <= seg.from_h:
            problems.append(f"segment {i}: to_h ({seg.to_h:g}) must be later than from_h "
                            f"({seg.from_h:g})")
        if seg.from_h < 0:
            problems.append(f"segment {i}: from_h must be >= 0, got {seg.from_h:g}")
        if i and seg.from_h < segments[i - 1].to_h:
            problems.append(f"segment {i}: from_h ({seg.from_h:g}) must not be before the "
                            f"previous segment's to_h ({segments[i - 1].to_h:g})")
    return problems


def minutes_of(t: float) -> int:
    """Scenario hour ``t`` in whole minutes, rounded up.

    The one rounding rule of the MSEL: ``scenario_time``, ``simulated_at``, the
    delivery time and every time named in a text are taken from it, so they agree,
    and an inject never comes before the event it reports.
    """
    return math.ceil(round(t * 60, 6))


def to_minute(t: float) -> float:
    """Scenario hour ``t`` rounded up to the whole minute (see :func:`minutes_of`)."""
    return minutes_of(t) / 60


def scenario_label(t: float) -> str:
    """``T+hh:mm`` (hours may exceed 24) for scenario hour ``t`` (rounded up to the minute)."""
    minutes = minutes_of(t)
    return f"T+{minutes // 60:02d}:{minutes % 60:02d}"
