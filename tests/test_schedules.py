"""The outage clock, restoration waves, rotating supply and the cascade (pure schedules)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.cascade import SERVICES, build_cascade, service_timeline
from sim.model.outage import grid_schedule
from sim.model.timeline import Timeline
from sim.params.cascade import CascadeParams, ServiceParams
from sim.params.outage import OutageParams, Rotating, Wave
from sim.params.timedist import TimeDist
from sim.streams import Streams

CODES = [f"GM{i:04d}" for i in range(10)]
REGION_OF = {c: ("A" if i < 5 else "B") for i, c in enumerate(CODES)}


def fixed(h: float) -> TimeDist:
    return TimeDist("fixed", hours=h)


def outage(hours: float = 96.0, waves=(), rotating=None) -> OutageParams:
    return OutageParams(start=datetime(2026, 1, 15, 17), duration=fixed(hours),
                        affected_regions=(), affected_municipalities=(), waves=tuple(waves),
                        rotating=rotating or Rotating(False, 2.0, 4.0))


def schedule(o: OutageParams, affected=CODES, seed: int = 1):
    s = Streams(seed)
    return grid_schedule(CODES, REGION_OF, affected, o, s.get("d"), s.get("w"))


def test_timeline_lookup_and_build():
    t = Timeline.build(True, [(0.0, False), (5.0, True), (5.0, True), (7.0, True)])
    assert t.times == (0.0, 5.0) and t.values == (False, True)
    assert not t.value_at(0) and not t.value_at(4.99) and t.value_at(5) and t.value_at(100)
    assert t.time_with(False, 10) == 5.0
    with pytest.raises(ValueError):
        Timeline((0.0, 0.0), (True, False))


@pytest.mark.parametrize("hours", [48.0, 96.0, 336.0])
def test_one_block_outage_restores_everything_at_the_duration(hours):
    g = schedule(outage(hours), affected=CODES[:4])
    for c in CODES[:4]:
        assert not g.powered(c, 0.0) and not g.powered(c, hours - 1e-6) and g.powered(c, hours)
    for c in CODES[4:]:
        assert g.powered(c, 0.0) and g.powered(c, hours / 2)
    assert g.last_restoration() == hours


def test_drawn_duration_is_within_its_bounds_and_follows_the_seed():
    o = OutageParams(start=datetime(2026, 1, 1), duration=TimeDist("uniform", low=48, high=72),
                     affected_regions=(), affected_municipalities=())
    draws = [schedule(o, seed=s).duration_h for s in range(20)]
    assert all(48 <= d <= 72 for d in draws) and len(set(draws)) == 20
    assert schedule(o, seed=3).duration_h == schedule(o, seed=3).duration_h


def test_waves_by_region_and_share():
    waves = [Wave(("A",), (), None, fixed(0)), Wave((), (), 0.5, fixed(12)),
             Wave((), (), None, fixed(24))]
    g = schedule(outage(96, waves))
    for c in CODES[:5]:
        assert g.restored_at[c] == 96
    later = [g.restored_at[c] for c in CODES[5:]]
    assert sorted(later) == [108, 108, 120, 120, 120] or sorted(later) == [108, 108, 108, 120,
                                                                           120]
    assert g.wave_of["GM0000"] == 0


def test_rotating_supply_powers_waiting_municipalities_in_turn():
    waves = [Wave((), CODES[:2], None, fixed(0)), Wave((), (), None, fixed(24))]
    g = schedule(outage(48, waves, Rotating(True, 2.0, 4.0)))
    waiting = CODES[2:]
    for c in waiting:
        tl = g.timelines[c]
        assert not g.powered(c, 47.9) and g.powered(c, 72.0)
        # Between 48 and 72 h each waiting municipality is on 2 h out of every 6.
        assert tl.time_with(True, 72) - tl.time_with(True, 48) == pytest.approx(8.0)
    at = np.arange(48.0, 72.0, 0.5)
    on = np.array([[g.powered(c, t) for c in waiting] for t in at])
    assert (on.sum(axis=1) > 0).all() and (on.sum(axis=1) < len(waiting)).all()


SERVICE = ServiceParams(backup=fixed(4), restore=fixed(1), fails_share=1.0, recharge_h=8)


@settings(max_examples=200, deadline=None)
@given(backup=st.floats(0, 20), restore=st.floats(0, 5), off=st.floats(1, 100))
def test_a_service_fails_after_its_backup_and_returns_after_its_delay(backup, restore, off):
    grid = Timeline.build(True, [(0.0, False), (off, True)])
    tl = service_timeline(grid, SERVICE, backup, restore, fails=True)
    for t in np.linspace(0, off + restore + 10, 97):
        if min(abs(t - backup), abs(t - off - restore)) < 1e-6:
            continue  # exactly at a change
        expected = t < backup or t >= off + restore if backup < off else True
        assert tl.value_at(t) == expected, (t, tl)


def test_backup_recharges_only_partly_under_rotation():
    grid = Timeline.build(True, [(0.0, False), (10.0, True), (12.0, False), (30.0, True)])
    tl = service_timeline(grid, SERVICE, 4.0, 1.0, fails=True)
    # Fails at 4 h, back at 11 h, fails again 1 h after 12 (2 h charge = 1 h of backup).
    assert tl.value_at(3.9) and not tl.value_at(4.1) and tl.value_at(11.5)
    assert tl.value_at(12.9) and not tl.value_at(13.1) and tl.value_at(31.1)


@pytest.fixture
def cascade_params() -> CascadeParams:
    services = {s: SERVICE for s in SERVICES}
    services["mobile"] = ServiceParams(TimeDist("triangular", low=0.5, mode=2, high=8),
                                       TimeDist("uniform", low=0.25, high=1), 1.0, 8)
    return CascadeParams(services=services, operator_generators_share=0.0,
                         operator_generators_at=TimeDist("uniform", low=48, high=72))


def test_masts_fail_between_half_an_hour_and_eight_hours(cascade_params):
    g = schedule(outage(96))
    c = build_cascade(CODES, g, cascade_params, Streams(5))
    fails = [next(t for t, up in c.timelines[(code, "mobile")].changes() if not up)
             for code in CODES]
    assert all(0.5 <= t <= 8 for t in fails)
    assert len(set(fails)) == len(CODES)
    for code in CODES:
        state = c.state(code, 200.0)
        assert all(state.values()), code  # everything back after restoration
        assert c.state(code, 50.0)["mobile"] is False


def test_operator_generators_bring_masts_back_during_the_outage(cascade_params):
    params = CascadeParams(services=cascade_params.services, operator_generators_share=1.0,
                           operator_generators_at=TimeDist("uniform", low=48, high=72))
    c = build_cascade(CODES, schedule(outage(96)), params, Streams(5))
    assert all(c.up(code, "mobile", 72.01) for code in CODES)
    assert not any(c.up(code, "mobile", 40.0) for code in CODES)


def test_unaffected_municipalities_keep_every_service(cascade_params):
    g = schedule(outage(96), affected=CODES[:3])
    c = build_cascade(CODES, g, cascade_params, Streams(5))
    for code in CODES[3:]:
        assert all(c.state(code, t)[s] for t in (0.0, 10.0, 50.0) for s in SERVICES)
