"""The outage clock: when each municipality loses and regains grid power.

At t = 0 every affected municipality loses power. The outage lasts the drawn
duration D; then restoration comes in waves, each restoring a group of
municipalities at D plus its own (set or drawn) delay. Optionally, once
restoration has started, the municipalities still waiting get rotating supply:
they are split into groups that are powered for ``on_h`` hours in turn.
Everything here is decided up front from named streams, so it does not depend
on what happens later in the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.timeline import Timeline
from sim.params.outage import OutageParams


@dataclass(frozen=True)
class GridSchedule:
    """Grid power per municipality (True = powered) and the restoration plan."""

    timelines: Mapping[str, Timeline]
    duration_h: float
    #: Municipality -> the time its supply is restored for good.
    restored_at: Mapping[str, float]
    #: Municipality -> restoration wave number (0-based); absent when not affected.
    wave_of: Mapping[str, int]

    def powered(self, code: str, t: float) -> bool:
        """Whether municipality ``code`` has grid power at time ``t``."""
        return self.timelines[code].value_at(t)

    def last_restoration(self) -> float:
        """When the last affected municipality is restored (0 when none is affected)."""
        return max(self.restored_at.values(), default=0.0)


def grid_schedule(
    codes: Sequence[str],
    region_of: Mapping[str, str],
    affected: Sequence[str],
    outage: OutageParams,
    rng_duration: np.random.Generator,
    rng_waves: np.random.Generator,
) -> GridSchedule:
    """Draw the outage duration and the restoration waves; build every municipality's timeline."""
    duration = float(outage.duration.sample(rng_duration))
    hit = [c for c in codes if c in set(affected)]
    remaining = list(hit)
    restored_at: dict[str, float] = {}
    wave_of: dict[str, int] = {}
    waves = outage.waves
    for i, wave in enumerate(waves):
        at = duration + float(wave.after.sample(rng_waves))
        if wave.share is not None:
            n = round(wave.share * len(remaining))
            picked = set(rng_waves.choice(np.array(remaining, dtype=object), size=n,
                                          replace=False)) if n else set()
        else:
            picked = {c for c in remaining
                      if c in wave.municipalities or region_of[c] in wave.regions}
        if i == len(waves) - 1:
            picked = set(remaining)  # the last wave restores whatever is left
        for c in sorted(picked):
            restored_at[c] = at
            wave_of[c] = i
        remaining = [c for c in remaining if c not in picked]
    for c in remaining:  # no waves configured: everything at the end of the duration
        restored_at[c] = duration
        wave_of[c] = 0

    rotation_start = min(restored_at.values(), default=duration)
    order = sorted(hit, key=lambda c: (restored_at[c], c))
    timelines: dict[str, Timeline] = {}
    rot = outage.rotating
    cycle = rot.on_h + rot.off_h
    for k, code in enumerate(order):
        if code not in restored_at:
            continue
        changes: list[tuple[float, bool]] = [(0.0, False)]
        end = restored_at[code]
        if rot.enabled and end > rotation_start:
            # In turn: each municipality starts on_h later than the previous one (mod the
            # cycle), then is on for on_h and off for off_h.
            t = rotation_start + (k * rot.on_h) % cycle
            while t < end:
                changes.append((t, True))
                changes.append((min(t + rot.on_h, end), False))
                t += cycle
        changes.append((end, True))
        timelines[code] = Timeline.build(True, changes)
    for code in codes:
        if code not in timelines:
            timelines[code] = Timeline((0.0,), (True,))
    return GridSchedule(timelines=timelines, duration_h=duration, restored_at=restored_at,
                        wave_of=wave_of)
