"""Fuel logistics: a depot and a small truck fleet per safety region.

Generators ask for fuel with a message to the ROT (the fuel coordinator);
outside demand (hospitals and care homes, water works, telecom masts) asks
directly, at times drawn up front so that it does not depend on the fleet.
Each truck takes the most urgent request in the priority list (the
verdringingsreeks), then the oldest; drives there over the network; fills the
tank (setup time plus pumping); and returns to the depot to refill when it
runs low.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.geo.network import Site as Location
from sim.model.power import FUEL_KIND, Timer
from sim.model.power import Generator as DieselGenerator

if TYPE_CHECKING:
    from sim.model.engine import Model

#: A truck goes back to refill when it holds less than this share of its capacity.
RESERVE_SHARE = 0.1


@dataclass
class FuelRequest:
    """One request for fuel: for a generator, or from outside demand."""

    id: str
    kind: str
    region: str
    sent: float
    received: float = float("nan")
    generator: DieselGenerator | None = None
    litres: float = 0.0
    location: Location | None = None
    municipality: str = ""
    site: str = ""

    def where(self) -> Location:
        """Where the truck must go (a mobile generator may have moved)."""
        if self.generator is not None:
            assert self.generator.site is not None
            return self.generator.site.location
        assert self.location is not None
        return self.location


@dataclass(order=True)
class _Queued:
    rank: int
    received: float
    seq: int
    request: FuelRequest = field(compare=False)


class FuelLogistics:
    """Request queues and trucks for every region."""

    def __init__(self, model: Model, depots: dict[str, Location]) -> None:
        self.model = model
        self.env = model.env
        self.depots = depots
        self.params = model.params.fuel
        self.queues: dict[str, list[_Queued]] = {r: [] for r in depots}
        self.wakeup: dict[str, simpy.Event] = {r: self.env.event() for r in depots}
        self._ids = itertools.count(1)
        self._seq = itertools.count()
        for region, depot in depots.items():
            for k in range(self.params.trucks_per_region.get(region, 0)):
                self.env.process(self._truck(region, f"T-{region}-{k + 1}", depot))

    # --- requests ------------------------------------------------------------------------

    def request(self, gen: DieselGenerator) -> None:
        """A generator asks for fuel: a message to the ROT, then the queue."""
        site = gen.site
        assert site is not None
        m = self.model
        req = FuelRequest(id=f"F{next(self._ids):05d}", kind=FUEL_KIND[site.role],
                          region=site.region, sent=self.env.now, generator=gen,
                          municipality=site.municipality, site=site.id)
        m.rec.add(self.env.now, "fuel_request", site.municipality, site.id,
                  value=gen.level_at(self.env.now), detail=f"{req.id}:{gen.id}")
        m.send_to_rot("fuel_request", site, lambda _t: self._receive(req))

    def outside(self, region: str, kind: str, litres: float, location: Location) -> None:
        """Outside demand asks the coordinator directly."""
        req = FuelRequest(id=f"F{next(self._ids):05d}", kind=kind, region=region,
                          sent=self.env.now, litres=litres, location=location,
                          municipality=location.municipality, site=kind)
        self._receive(req)

    def _receive(self, req: FuelRequest) -> None:
        req.received = self.env.now
        if req.generator is not None:
            self.model.rec.add(self.env.now, "fuel_request_received", req.municipality,
                               req.site, detail=req.id)
        heapq.heappush(self.queues[req.region],
                       _Queued(self.params.rank(req.kind), req.received, next(self._seq), req))
        event = self.wakeup[req.region]
        if not event.triggered:
            event.succeed()
        aid = self.model.params.aid
        if req.generator is not None and aid.enabled:  # still waiting then: ask outside
            Timer(self.env, aid.fuel_wait_h, lambda: self._check_overdue(req))

    def overdue(self, region: str) -> int:
        """Generators' requests of the region that have waited ``aid.fuel_wait_h`` or longer."""
        since = self.env.now - self.model.params.aid.fuel_wait_h + 1e-9
        return sum(1 for q in self.queues[region]
                   if q.request.generator is not None and q.received <= since)

    def _check_overdue(self, req: FuelRequest) -> None:
        waiting = self.overdue(req.region)
        if waiting:
            self.model.aid.trucks_short(req.region, waiting, req.municipality)

    def add_truck(self, region: str, truck_id: str) -> None:
        """A truck from outside arrives full at the region's depot and joins its fleet."""
        self.env.process(self._truck(region, truck_id, self.depots[region]))

    # --- trucks --------------------------------------------------------------------------

    def _truck(self, region: str, truck_id: str,
               depot: Location) -> Generator[simpy.Event, None, None]:
        env, m, p = self.env, self.model, self.params
        level = p.truck_capacity_l
        here = depot
        while True:
            queue = self.queues[region]
            if not queue:
                if self.wakeup[region].triggered:
                    self.wakeup[region] = env.event()
                yield self.wakeup[region]
                continue
            req = heapq.heappop(queue).request
            target = req.where()
            yield env.timeout(m.travel.between(here, target))
            here = req.where()  # a mobile unit may have moved meanwhile
            need = req.generator.need(env.now) if req.generator is not None else req.litres
            amount = min(need, level)
            yield env.timeout(p.delivery_setup_h + amount / p.pump_rate_l_per_h)
            if req.generator is not None:
                amount = req.generator.deliver(amount)
                m.rec.add(env.now, "fuel_delivered", req.municipality, req.site, value=amount,
                          detail=f"{req.id}:{req.generator.id}:{env.now - req.sent:.6f}:"
                                 f"{truck_id}")
            else:
                m.rec.add(env.now, "outside_fuel_delivered", req.municipality, req.site,
                          value=amount, detail=f"{req.kind}:{env.now - req.sent:.4f}")
            level -= amount
            if level < RESERVE_SHARE * p.truck_capacity_l:
                yield env.timeout(m.travel.between(here, depot) + p.depot_refill_h)
                level, here = p.truck_capacity_l, depot


def outside_demand_times(
    rate_per_h: float, until: float, rng: np.random.Generator
) -> np.ndarray:
    """Arrival times of a Poisson stream on [0, until)."""
    if rate_per_h <= 0 or until <= 0:
        return np.empty(0)
    n = int(rng.poisson(rate_per_h * until))
    return np.sort(rng.uniform(0.0, until, size=n))
