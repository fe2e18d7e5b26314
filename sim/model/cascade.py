"""Cascading effects: the state of each vital service per municipality over time.

Each service (mobile telephony, the fixed network, C2000, drinking-water
pressure, heating, card payment and fuel pumps) holds out for a while on its
own backup after the grid fails: a battery of ``backup`` hours, drawn per
municipality. The backup drains while the grid is off and recharges while it
is on (fully in ``recharge_h`` hours), so rotating supply gives only partial
relief. Once the grid returns the service comes back after its own
``restore`` delay. Where ``fails_share`` < 1 the service survives the outage
in some municipalities (for example water pressure held by the water company's
own generators). Mobile telephony can also come back without the grid once
operators bring generators to the masts.

All draws are made up front from named streams; the result is a timeline per
(municipality, service), so any state at any time is a lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.outage import GridSchedule
from sim.model.timeline import Timeline
from sim.params.cascade import SERVICES, CascadeParams, ServiceParams
from sim.streams import Streams

__all__ = ["SERVICES", "Cascade", "build_cascade", "service_timeline"]



@dataclass(frozen=True)
class Cascade:
    """Service timelines per municipality (True = working)."""

    timelines: Mapping[tuple[str, str], Timeline]

    def up(self, municipality: str, service: str, t: float) -> bool:
        """Whether ``service`` works in ``municipality`` at time ``t``."""
        return self.timelines[(municipality, service)].value_at(t)

    def state(self, municipality: str, t: float) -> dict[str, bool]:
        """Every service's state in ``municipality`` at time ``t``."""
        return {s: self.up(municipality, s, t) for s in SERVICES}


def service_timeline(
    grid: Timeline, params: ServiceParams, backup_h: float, restore_h: float, fails: bool,
    rescue_at: float | None = None,
) -> Timeline:
    """One service's timeline from the grid's, given its drawn backup and restore times."""
    if not fails:
        return Timeline((0.0,), (True,))
    changes: list[tuple[float, bool]] = []
    charge = backup_h  # hours of backup left
    up = True
    pieces = list(grid.intervals(float("inf")))
    for start, end, powered in pieces:
        if powered:
            # Power back: the service returns after its restore delay (if the piece lasts).
            back = start + restore_h
            if not up and back < end:
                changes.append((back, True))
                up = True
            if params.recharge_h > 0 and np.isfinite(end):
                charge = min(backup_h, charge + (end - start) * backup_h / params.recharge_h)
            elif params.recharge_h <= 0:
                charge = backup_h
            if not np.isfinite(end):
                break
        else:
            # Grid off: the backup drains; the service fails when it is empty.
            fail_at = start + charge
            if up and fail_at < end:
                changes.append((fail_at, False))
                up = False
            used = min(end - start, charge) if np.isfinite(end) else charge
            charge -= used
    timeline = Timeline.build(True, changes)
    if rescue_at is None:
        return timeline
    # Operators' generators at the masts: working from rescue_at on, whatever the grid.
    kept = [(t, v) for t, v in timeline.changes() if t < rescue_at]
    return Timeline.build(True, [*kept, (rescue_at, True)])


def build_cascade(
    codes: Sequence[str], grid: GridSchedule, params: CascadeParams, streams: Streams
) -> Cascade:
    """Draw every municipality's backup and restore times and build the service timelines."""
    timelines: dict[tuple[str, str], Timeline] = {}
    n = len(codes)
    rescue_rng = streams.get("cascade.mobile.operator_generators")
    rescued = rescue_rng.random(n) < params.operator_generators_share
    rescue_times = params.operator_generators_at.sample_many(rescue_rng, n)
    for service in SERVICES:
        p = params.services[service]
        rng = streams.get(f"cascade.{service}")
        backup = p.backup.sample_many(rng, n)
        restore = p.restore.sample_many(rng, n)
        fails = rng.random(n) < p.fails_share
        for i, code in enumerate(codes):
            rescue = None
            if service == "mobile" and rescued[i]:
                rescue = float(rescue_times[i])
            timelines[(code, service)] = service_timeline(
                grid.timelines[code], p, float(backup[i]), float(restore[i]), bool(fails[i]),
                rescue_at=rescue if not grid.timelines[code].values[0] else None,
            )
    return Cascade(timelines=timelines)
