"""Power at the sites: the grid, fixed generators, mobile generators, or nothing.

A site (fire station or candidate support point) draws from the grid while
its municipality has power. When the grid fails, a fixed generator tries to
start (it can fail to start, and fail while running, after an exponentially
distributed number of running hours); it burns fuel by its size and load,
asks for fuel below a threshold, and stops when the tank runs dry. Broken
generators wait for a technician who travels from the regional base. A
regional pool of mobile generators is sent by priority (coordination points
first, then local points) to sites that ask for one.

Fuel is computed, not ticked: a running generator's level falls linearly, and
only the moments that matter (threshold, dry, breakdown) are scheduled.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from collections.abc import Generator as Process
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.geo.network import Site as Location

if TYPE_CHECKING:
    from sim.model.engine import Model

#: The request kind of each site role, for the mobile-generator and fuel priority lists.
FUEL_KIND = {
    "coordination_point": "coordination_point",
    "fire_station": "fire_station",
    "support_point": "support_point",
}


class Clock(simpy.Environment):
    """A SimPy environment that knows the run's horizon (events after it never run)."""

    def __init__(self, horizon: float = math.inf) -> None:
        super().__init__()
        self.horizon = horizon


class Timer(simpy.Timeout):
    """A cancellable callback after a delay (cheaper than a process for one-shot events).

    The timer is itself the scheduled timeout, with its own method as the only
    callback: one object per timer and no closure. It is scheduled exactly as
    ``env.timeout(max(delay, 0))`` would be (same time, priority and order).
    """

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[[], None]) -> None:
        # Timeout.__init__ inlined (as SimPy does), plus the callback.
        self.env = env
        self._value = None
        self._delay = delay = max(delay, 0.0)
        self._ok = True
        self.active = True
        self._fn = fn
        # A timer past the run's horizon (of a Clock) could never fire: it is not
        # scheduled at all (the others keep their order), so it costs neither the heap
        # nor the garbage collector (no callback refers back to it).
        if env.now + delay > getattr(env, "horizon", math.inf):
            self.callbacks = None  # type: ignore[assignment]  # as SimPy after firing
            return
        self.callbacks = [self._fire]
        env.schedule(self, NORMAL, delay)

    def _fire(self, _event: simpy.Event) -> None:
        if self.active:
            self._fn()

    def cancel(self) -> None:
        """Stop the callback from running."""
        self.active = False


class Generator:
    """A diesel generator (fixed at a site, or a mobile unit) with its tank."""

    def __init__(self, model: Model, gen_id: str, kind: str, kva: float, tank_l: float,
                 site: Site | None, can_fail: bool) -> None:
        self.model = model
        self.id = gen_id
        self.kind = kind  # fixed | mobile
        self.kva = kva
        self.tank_l = tank_l
        self.level = tank_l
        self.site = site
        self.state = "standby"  # standby | running | failed | dry
        self.since = 0.0
        self.rate = 0.0
        self.run_hours = 0.0
        #: Litres burnt and litres received so far (a mass balance for checks).
        self.burnt_l = 0.0
        self.received_l = 0.0
        self.fuel_pending = False
        #: Whether "below a quarter" was recorded since the last delivery.
        self.quarter_noted = False
        self.timer: Timer | None = None
        self.can_fail = can_fail
        p = model.params.power
        if can_fail:
            self.rng = model.streams.get(f"power.fixed.{gen_id}")
            self.next_failure = self._draw_run_hours_to_failure()
        else:
            self.next_failure = math.inf
        self._p = p

    def _draw_run_hours_to_failure(self) -> float:
        rate = self.model.params.power.failure_rate_per_h
        return float(self.rng.exponential(1.0 / rate)) if rate > 0 else math.inf

    # --- fuel ----------------------------------------------------------------------------

    def level_at(self, t: float) -> float:
        """Litres in the tank at time ``t``."""
        if self.state != "running":
            return self.level
        level = self.level - self.rate * (t - self.since)
        if level < -1e-6:
            raise RuntimeError(f"{self.id} burnt {-level:.3f} L it did not have at t={t}")
        return max(level, 0.0)

    def _sync(self) -> None:
        now = self.model.env.now
        if self.state == "running":
            level = self.level_at(now)
            self.burnt_l += self.level - level
            self.level = level
            self.run_hours += now - self.since
        self.since = now

    def need(self, t: float) -> float:
        """Litres to fill the tank at time ``t``."""
        return self.tank_l - self.level_at(t)

    def deliver(self, litres: float) -> float:
        """Pour in up to ``litres``; return what fitted. A dry generator restarts if needed."""
        self._sync()
        accepted = min(litres, self.tank_l - self.level)
        self.level += accepted
        self.received_l += accepted
        self.fuel_pending = False
        if self.level > 0.25 * self.tank_l:
            self.quarter_noted = False
        if self.state == "dry":
            self.state = "standby"
            if self.site is not None and not self.site.grid_on:
                self.start()
        elif self.state == "running":
            self._schedule()
        return accepted

    def _request_fuel(self) -> None:
        if not self.fuel_pending:
            self.fuel_pending = True
            self.model.fuel.request(self)

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Try to start (the grid is off at the site)."""
        if self.state != "standby" or self.site is None:
            return
        self._sync()
        m = self.model
        if self.can_fail and self.rng.random() < m.params.power.start_failure_prob:
            self.state = "failed"
            m.rec.add(m.env.now, "generator_start_failed", self.site.municipality, self.site.id,
                      detail=self.id)
            self.site.update()
            m.technicians[self.site.region].call(self)
            return
        if self.level <= 0:
            self.state = "dry"
            self._request_fuel()
            self.site.update()
            return
        self.state = "running"
        self.rate = m.params.power.litres_per_hour(self.kva, self.site.load)
        self._schedule()
        self.site.update()

    def stop(self) -> None:
        """Stop a running generator (the grid is back, or the unit leaves)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.state == "running":
            self._sync()
            self.state = "standby"

    def _schedule(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        threshold = self.model.params.power.refuel_threshold * self.tank_l
        if self.level <= threshold:
            self._request_fuel()
        options = [
            (self.level / self.rate, "dry"),
            (self.next_failure - self.run_hours, "fail"),
        ]
        if not self.fuel_pending and self.level > threshold:
            options.append(((self.level - threshold) / self.rate, "threshold"))
        quarter = 0.25 * self.tank_l
        if self.fuel_pending and not self.quarter_noted and self.level > quarter:
            options.append(((self.level - quarter) / self.rate, "quarter"))
        delay, what = min(options)
        self.timer = Timer(self.model.env, delay, lambda: self._on_timer(what))

    def _on_timer(self, what: str) -> None:
        self.timer = None
        self._sync()
        m = self.model
        site = self.site
        assert site is not None
        if what == "threshold":
            self._request_fuel()  # do not re-test the level: floats may land a hair above
            self._schedule()
            return
        if what == "quarter":  # still waiting for fuel: the tank is down to a quarter
            self.quarter_noted = True
            m.rec.add(m.env.now, "fuel_low", site.municipality, site.id, value=self.level,
                      detail=self.id)
            self._schedule()
            return
        if what == "dry":
            self.level = 0.0
            self.state = "dry"
            m.rec.add(m.env.now, "generator_dry", site.municipality, site.id, detail=self.id)
            self._request_fuel()
        else:
            self.state = "failed"
            self.next_failure = self.run_hours + self._draw_run_hours_to_failure()
            m.rec.add(m.env.now, "generator_failed", site.municipality, site.id, detail=self.id)
            m.technicians[site.region].call(self)
        site.update()

    def repaired(self) -> None:
        """A technician has fixed the generator; it restarts if the grid is still off."""
        if self.state != "failed":
            return
        self.state = "standby"
        site = self.site
        assert site is not None
        m = self.model
        m.rec.add(m.env.now, "generator_repaired", site.municipality, site.id, detail=self.id)
        if self.level <= 0:
            self.state = "dry"
            self._request_fuel()
        elif not site.grid_on:
            self.start()
        site.update()


class Site:
    """A fire station or candidate support point and where its power comes from."""

    def __init__(self, model: Model, site_id: str, role: str, region: str,
                 location: Location, load: float) -> None:
        self.model = model
        self.id = site_id
        self.role = role  # coordination_point | fire_station | support_point
        self.region = region
        self.location = location
        self.municipality = location.municipality
        self.load = load
        self.grid_on = True
        self.fixed: Generator | None = None
        self.mobile: MobileUnit | None = None
        self.mobile_requested = False
        #: Whether a powerless site asks for a mobile generator (coordination points do;
        #: local points once they are activated).
        self.wants_mobile = role == "coordination_point"
        self.source = "grid"
        #: Called after every change of power source (coordination and local points).
        self.listeners: list[Callable[[], None]] = []

    def powered(self) -> bool:
        """Whether the site has power from any source."""
        return self.source != "none"

    def set_grid(self, on: bool) -> None:
        """The municipality's grid changed."""
        self.grid_on = on
        m = self.model
        if not on:
            if self.fixed is not None:
                self.fixed.start()
            if self.mobile is not None and self.mobile.gen.state == "standby":
                self.mobile.gen.start()
        else:
            if self.fixed is not None:
                self.fixed.stop()
            if self.mobile is not None:
                if m.env.now >= m.grid.restored_at.get(self.municipality, 0.0):
                    m.mobile[self.region].release(self)
                else:
                    self.mobile.gen.stop()  # rotating supply: the unit stays for the next gap
            self.mobile_requested = False
        self.update()

    def needs_mobile(self) -> bool:
        """Powerless and wanting a mobile generator, with none connected."""
        fixed_ok = self.fixed is not None and self.fixed.state == "running"
        return self.wants_mobile and not self.grid_on and not fixed_ok and self.mobile is None

    def update(self) -> None:
        """Recompute the power source; record a change; ask for a mobile generator if needed."""
        if self.grid_on:
            source = "grid"
        elif self.fixed is not None and self.fixed.state == "running":
            source = "fixed"
        elif self.mobile is not None and self.mobile.gen.state == "running":
            source = "mobile"
        else:
            source = "none"
        m = self.model
        if source == "fixed" and self.mobile is not None:
            m.mobile[self.region].release(self)  # the own generator runs again
        if source != self.source:
            self.source = source
            m.rec.add(m.env.now, "site_power", self.municipality, self.id,
                      value=float(source != "none"), detail=source)
            for listener in self.listeners:
                listener()
        if source == "none" and self.needs_mobile() and not self.mobile_requested:
            self.mobile_requested = True
            m.rec.add(m.env.now, "mobile_requested", self.municipality, self.id,
                      detail=self.role)
            m.send_to_rot("mobile_request", self, lambda _t: m.mobile[self.region].request(self))


def need_kind(site: Site) -> str:
    """The kind a site's request for a mobile generator is ranked by."""
    return "coordination_point" if site.role == "coordination_point" else "support_point"


class MobileUnit:
    """One mobile generator of a regional pool (or lent to it from outside)."""

    def __init__(self, gen: Generator, location: Location,
                 on_release: Callable[[], None] | None = None) -> None:
        self.gen = gen
        self.location = location
        self.busy = False
        #: For a unit from outside: called when the region no longer needs it.
        self.on_release = on_release


class MobilePool:
    """A region's mobile generators, sent by priority to sites that asked for one."""

    def __init__(self, model: Model, region: str, units: int, base: Location) -> None:
        self.model = model
        self.region = region
        p = model.params.power
        self.units = [
            MobileUnit(Generator(model, f"MG-{region}-{k + 1}", "mobile", p.mobile_kva,
                                 p.mobile_tank_l, site=None, can_fail=False), base)
            for k in range(units)
        ]
        self.queue: list[tuple[int, float, int, Site]] = []
        self.queued: set[str] = set()
        self._seq = itertools.count()

    def request(self, site: Site) -> None:
        """A request has reached the ROT."""
        if not site.needs_mobile() or site.id in self.queued:
            if not site.needs_mobile():
                site.mobile_requested = False
            return
        kind = need_kind(site)
        priority = self.model.params.power.mobile_priority
        if kind not in priority:
            return  # the ROT sends mobile units only to the kinds of site it lists
        rank = priority.index(kind)
        heapq.heappush(self.queue, (rank, self.model.env.now, next(self._seq), site))
        self.queued.add(site.id)
        self.dispatch()

    def join(self, unit_id: str, on_release: Callable[[], None]) -> Generator:
        """A unit from outside arrives at the region's base and serves like its own."""
        p = self.model.params.power
        unit = MobileUnit(Generator(self.model, unit_id, "mobile", p.mobile_kva, p.mobile_tank_l,
                                    site=None, can_fail=False),
                          self.model.bases[self.region], on_release)
        self.units.append(unit)
        self.dispatch()
        self._free(unit)
        return unit.gen

    def _free(self, unit: MobileUnit) -> None:
        """An idle unit from outside goes back when no site waits."""
        if not unit.busy and unit.on_release is not None and not self.queue:
            self.units.remove(unit)
            unit.on_release()

    def dispatch(self) -> None:
        """Send idle units to the most urgent requests, nearest unit first."""
        m = self.model
        while self.queue:
            idle = [u for u in self.units if not u.busy]
            if not idle:
                if m.params.aid.enabled:
                    m.aid.generators_short(self, [(t, need_kind(s), s.municipality, s.id)
                                                  for _, t, _, s in sorted(self.queue)])
                return
            _, _, _, site = heapq.heappop(self.queue)
            self.queued.discard(site.id)
            if not site.needs_mobile():
                site.mobile_requested = False
                continue
            times = [m.travel.between(u.location, site.location) for u in idle]
            k = int(np.argmin(times))
            unit = idle[k]
            unit.busy = True
            m.rec.add(m.env.now, "mobile_dispatched", site.municipality, site.id,
                      value=times[k], detail=unit.gen.id)
            self._send(unit, site, times[k])

    def _send(self, unit: MobileUnit, site: Site, travel: float) -> None:
        Timer(self.model.env, travel + self.model.params.power.mobile_setup_h,
              lambda: self._arrive(unit, site))

    def _arrive(self, unit: MobileUnit, site: Site) -> None:
        m = self.model
        unit.location = site.location
        if not site.needs_mobile():
            site.mobile_requested = False
            unit.busy = False
            m.rec.add(m.env.now, "mobile_aborted", site.municipality, site.id,
                      detail=unit.gen.id)
            self.dispatch()
            self._free(unit)
            return
        site.mobile = unit
        site.mobile_requested = False
        unit.gen.site = site
        m.rec.add(m.env.now, "mobile_arrived", site.municipality, site.id, detail=unit.gen.id)
        unit.gen.start()
        site.update()

    def release(self, site: Site) -> None:
        """The site's grid is back: the unit stops and is free for the next request."""
        unit = site.mobile
        assert unit is not None
        unit.gen.stop()
        site.mobile = None
        unit.busy = False
        m = self.model
        m.rec.add(m.env.now, "mobile_released", site.municipality, site.id, detail=unit.gen.id)
        self.dispatch()
        self._free(unit)


class Technicians:
    """A region's generator technicians, travelling from the regional base."""

    def __init__(self, model: Model, region: str, count: int, base: Location) -> None:
        self.model = model
        self.base = base
        self.count = count
        self.resource = simpy.Resource(model.env, capacity=max(count, 1))
        self.rng = model.streams.get(f"power.repair.{region}")

    def call(self, gen: Generator) -> None:
        """Report the breakdown (a message to the ROT); a technician comes when free."""
        site = gen.site
        assert site is not None
        if self.count == 0:
            return  # no technicians (validation allows it only without breakdowns)
        self.model.send_to_rot("repair_request", site, lambda _t: self._start_job(gen))

    def _start_job(self, gen: Generator) -> None:
        self.model.env.process(self._job(gen))

    def _job(self, gen: Generator) -> Process[simpy.Event, None, None]:
        m = self.model
        site = gen.site
        assert site is not None
        repair = m.params.power.repair.sample(self.rng)
        with self.resource.request() as slot:
            yield slot
            travel = m.travel.between(self.base, site.location)
            m.rec.add(m.env.now, "technician_dispatched", site.municipality, site.id,
                      value=travel, detail=gen.id)
            yield m.env.timeout(travel + repair)
            gen.repaired()
            yield m.env.timeout(travel)
