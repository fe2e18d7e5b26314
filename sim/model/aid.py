"""Help from outside the affected area, asked for by a region's ROT and allocated by the LOCC.

A region asks (a *bijstandsaanvraag*) when its own means fall short:

- generators: sites have waited ``ask_after_h`` in the region's mobile pool with
  no unit free (the ROT first tries its own means); the region asks for one unit
  per such site beyond what it has already asked for;
- fuel trucks: generators' fuel requests have waited ``fuel_wait_h`` for a truck;
  the region asks for one truck per ``fuel_requests_per_truck`` overdue requests
  beyond what it has already asked for;
- staff: a post stays short of its minimum staff for ``ask_after_h`` (counted
  from the self-mobilisation hour at the earliest); the region asks for a fire
  crew (coordination points) or a Red Cross relief team (local points) of
  ``crew_size`` people.

The request reaches the LOCC (Landelijk Operationeel Coordinatiecentrum) after
``channel_h`` and waits for its next round (every ``round_h`` hours). In a
round the LOCC first withdraws requests the region no longer needs, then ranks
the rest -- the documented priority rule:

1. by the kind of need, in the order of ``aid.priority`` (default: coordination
   points, then local support points, then fuel);
2. then the region that has received least from outside so far (a fair share
   between regions that ask at once);
3. then the oldest request.

Each in turn gets the free unit that arrives soonest (mobilisation plus travel),
from any pool; a request no pool can meet stays on the table for the next round.
A granted unit mobilises at its source, travels to the region's base and joins
the region's mobile pool or truck fleet. A generator goes back to its source
when the region no longer needs it (its site has the grid again and no other
site waits); it is free for another region after travelling back. Trucks stay
to the end of the run.

The pools (``aid.sources``):

- ``regions``: every safety region that is not dark spares a few units: regions
  in the modelled area that the outage spares send from their base over the
  network, the others of the 25 from outside the modelled area (``travel_h``);
  a national black-out leaves none;
- ``defence``: Defensie's units (``available_share`` of them) from its base,
  over the network when the base is in the modelled area;
- ``market``: contracted units, fewer as more of the country is dark.

Every step is an event of its own kind: ``aid_requested``, ``aid_granted``,
``aid_arrived``, ``aid_withdrawn`` and ``aid_released``, with the detail
``request:resource:region:source:unit`` and, from granted on, the hours since
the request as value.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from sim.geo.network import Site as Location
from sim.geo.network import largest_town
from sim.model.power import Timer
from sim.params.aid import NATIONAL_POPULATION, NATIONAL_REGIONS, Source

if TYPE_CHECKING:
    from sim.model.engine import Model
    from sim.model.power import Generator as DieselGenerator
    from sim.model.power import MobilePool
    from sim.model.staffing import Post

GENERATOR, TRUCK = "generator", "truck"
#: Staff from outside: fire crews for coordination points, relief teams for local points.
FIRE_CREW, RELIEF_TEAM = "fire_crew", "relief_team"
#: The staff kind of each crew resource (in ``shift_end`` records' details).
STAFF_KIND = {FIRE_CREW: "outside_fire", RELIEF_TEAM: "outside_relief"}
#: The prefix of the ids of units from outside (``AID-<source>-<n>``).
PREFIX = "AID-"


@dataclass
class Unit:
    """One generator or truck of a pool outside the affected area."""

    id: str
    resource: str
    source: str
    mobilise_h: float
    #: Where it is based on the network (None: outside the modelled area).
    origin: Location | None
    #: Travel to any region's base when ``origin`` is None.
    travel_h: float
    free: bool = True


@dataclass
class Request:
    """A region's request for one unit."""

    id: str
    region: str
    resource: str
    kind: str
    municipality: str
    site: str
    sent: float
    unit: Unit | None = None


class OutsideHelp:
    """The pools outside the affected area and the LOCC that allocates them."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.params = model.params.aid
        self.units: list[Unit] = self._pools() if self.params.enabled else []
        self.table: list[Request] = []
        #: (region, resource) -> requests sent and not yet arrived or withdrawn.
        self.asked: dict[tuple[str, str], int] = defaultdict(int)
        #: (region, resource) -> units granted and on their way.
        self.coming: dict[tuple[str, str], int] = defaultdict(int)
        #: Region -> units granted so far (the fair-share rank).
        self.received: dict[str, int] = defaultdict(int)
        self._round_at: float | None = None
        self._ids = 0
        #: Sites whose wait is looked at again once it reaches ``ask_after_h``.
        self._looking: set[str] = set()
        #: Every generator from outside that joined a regional pool.
        self.joined: list[DieselGenerator] = []
        #: Posts short of their minimum staff, those asked for, and the post of each request.
        #: Post id -> the post and when its shortage began.
        self.short: dict[str, tuple[Post, float]] = {}
        self.asked_for: set[str] = set()
        self.for_post: dict[str, Post] = {}

    # --- the pools -----------------------------------------------------------------------

    def dark_regions(self) -> set[str]:
        """Safety regions of the modelled area with at least one affected municipality."""
        m = self.model.region.municipalities
        affected = set(self.model.scenario.affected_codes())
        return set(m.loc[m["code"].isin(affected), "region"].astype(str))

    def dark_share(self) -> float:
        """Share of the Dutch population in the dark (residents of affected municipalities)."""
        m = self.model.region.municipalities
        affected = set(self.model.scenario.affected_codes())
        dark = float(m.loc[m["code"].isin(affected), "population"].sum())
        return min(1.0, dark / NATIONAL_POPULATION)

    def _pools(self) -> list[Unit]:
        p = self.params
        units: list[Unit] = []
        numbers: dict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))

        def add(source: Source, n_generators: int, n_trucks: int,
                origin: Location | None, crews: tuple[str, int] = (FIRE_CREW, 0)) -> None:
            for resource, n in ((GENERATOR, n_generators), (TRUCK, n_trucks), crews):
                for _ in range(n):
                    k = next(numbers[source.name])
                    units.append(Unit(f"{PREFIX}{source.name}-{k}", resource, source.name,
                                      source.mobilise_h, origin, source.travel_h))

        modelled = sorted(set(self.model.region.municipalities["region"].astype(str)))
        dark = self.dark_regions()
        for region in modelled:
            if region not in dark:  # spared by the outage: sends from its base
                add(p.regions, p.regions.generators, p.regions.trucks,
                    self.model.bases[region], (FIRE_CREW, p.regions.crews))
        outside = max(0, NATIONAL_REGIONS - len(modelled))
        add(p.regions, outside * p.regions.generators,
            outside * p.regions.trucks, None, (FIRE_CREW, outside * p.regions.crews))
        share = p.defence_available_share
        base = p.defence.base  # its largest town; None: outside the modelled area
        add(p.defence, round(p.defence.generators * share), round(p.defence.trucks * share),
            largest_town(self.model.region.demand_points, base) if base else None)
        left = max(0.0, 1.0 - p.market_shrink * self.dark_share())
        add(p.market, math.floor(p.market.generators * left + 1e-9),
            math.floor(p.market.trucks * left + 1e-9),
            None)
        lit = max(0.0, 1.0 - self.dark_share())  # relief teams of the dark area stay in it
        add(p.red_cross, 0, 0, None, (RELIEF_TEAM, math.floor(p.red_cross.crews * lit + 1e-9)))
        return units

    def generator_ids(self) -> list[str]:
        """Ids of the outside generators (they join regional pools as mobile units)."""
        return [u.id for u in self.units if u.resource == GENERATOR]

    def travel(self, unit: Unit, region: str) -> float:
        """Hours from the unit's base to the region's base."""
        if unit.origin is None:
            return unit.travel_h
        return self.model.travel.between(unit.origin, self.model.bases[region])

    # --- the region asks -------------------------------------------------------------------

    def generators_short(self, pool: MobilePool,
                         waiting: list[tuple[float, str, str, str]]) -> None:
        """Sites wait with no unit free: ask for those that have waited ``ask_after_h``.

        ``waiting``: (queued at, kind, municipality, site id), most urgent first. The
        others are looked at again when their wait reaches ``ask_after_h``.
        """
        if not self.params.enabled:
            return
        now, after = self.model.env.now, self.params.ask_after_h
        due = [w for w in waiting if now - w[0] >= after - 1e-9]
        for _, kind, municipality, site in due[self.asked[(pool.region, GENERATOR)]:]:
            self._ask(pool.region, GENERATOR, kind, municipality, site)
        for queued, *_, site in waiting:
            if now - queued < after - 1e-9 and site not in self._looking:
                self._looking.add(site)
                Timer(self.model.env, queued + after - now, partial(self._look_again, pool, site))

    def _look_again(self, pool: MobilePool, site: str) -> None:
        self._looking.discard(site)
        pool.dispatch()

    def trucks_short(self, region: str, overdue: int, municipality: str) -> None:
        """``overdue`` fuel requests of the region's generators wait past ``fuel_wait_h``."""
        need = math.ceil(overdue / self.params.fuel_requests_per_truck)
        for _ in range(need - self.asked[(region, TRUCK)]):
            self._ask(region, TRUCK, "fuel", municipality, "")

    def _ask(self, region: str, resource: str, kind: str, municipality: str,
             site: str) -> Request | None:
        if not self.params.enabled or self.params.rank(kind) is None:
            return None
        m = self.model
        self._ids += 1
        req = Request(f"A{self._ids:04d}", region, resource, kind, municipality, site,
                      m.env.now)
        self.asked[(region, resource)] += 1
        self._record("aid_requested", req, 0.0)
        Timer(m.env, self.params.channel_h, lambda: self._on_table(req))
        return req

    def _record(self, kind: str, req: Request, value: float) -> None:
        unit = req.unit
        detail = (f"{req.id}:{req.resource}:{req.region}:"
                  f"{unit.source if unit else ''}:{unit.id if unit else ''}")
        self.model.rec.add(self.model.env.now, kind, req.municipality, req.site, value=value,
                           detail=detail)

    # --- the LOCC ----------------------------------------------------------------------------

    def _on_table(self, req: Request) -> None:
        self.table.append(req)
        self._next_round()

    def _next_round(self) -> None:
        """The LOCC's next round: the next whole multiple of ``round_h`` after now."""
        if not self.table or self._round_at is not None:
            return
        now, step = self.model.env.now, self.params.round_h
        self._round_at = (math.floor(now / step + 1e-9) + 1) * step
        Timer(self.model.env, self._round_at - now, self._round)

    def need(self, region: str, resource: str) -> int:
        """Units the region still lacks: sites waiting, or trucks for the overdue requests."""
        m = self.model
        if resource == GENERATOR:
            return len(m.mobile[region].queue)
        if resource == TRUCK:
            return math.ceil(m.fuel.overdue(region) / self.params.fuel_requests_per_truck)
        return sum(1 for post, _ in self.short.values()
                   if post.site.region == region and crew_for(post) == resource)

    def _round(self) -> None:
        self._round_at = None
        p = self.params
        pending: dict[tuple[str, str], list[Request]] = defaultdict(list)
        for req in self.table:
            pending[(req.region, req.resource)].append(req)
        withdrawn: set[str] = set()
        for (region, resource), reqs in sorted(pending.items()):
            allowed = max(0, self.need(region, resource) - self.coming[(region, resource)])
            for req in reqs[allowed:]:  # the region no longer lacks them: withdrawn
                withdrawn.add(req.id)
                self.asked[(region, resource)] -= 1
                if req.id in self.for_post:
                    self.asked_for.discard(self.for_post.pop(req.id).id)
                self._record("aid_withdrawn", req, self.model.env.now - req.sent)
        if withdrawn:  # by id at once (a dataclass's == compares every field)
            self.table = [r for r in self.table if r.id not in withdrawn]
        waiting = sorted(self.table,
                         key=lambda r: (p.rank(r.kind), self.received[r.region], r.sent, r.id))
        # The free units by resource, once a round (in unit order); a unit granted leaves
        # its list, so a request for a resource none is left of costs nothing.
        free: dict[str, list[Unit]] = defaultdict(list)
        for u in self.units:
            if u.free:
                free[u.resource].append(u)
        for req in waiting:
            pool = free.get(req.resource)
            if not pool:
                continue
            unit = min(pool, key=lambda u: (u.mobilise_h + self.travel(u, req.region), u.id))
            pool.remove(unit)
            self._grant(req, unit)
        self.table = [r for r in self.table if r.unit is None]
        self._next_round()

    def _grant(self, req: Request, unit: Unit) -> None:
        m = self.model
        unit.free = False
        req.unit = unit
        self.received[req.region] += 1
        self.coming[(req.region, req.resource)] += 1
        self._record("aid_granted", req, m.env.now - req.sent)
        Timer(m.env, unit.mobilise_h + self.travel(unit, req.region), lambda: self._arrive(req))

    def _arrive(self, req: Request) -> None:
        m = self.model
        unit = req.unit
        assert unit is not None
        self.asked[(req.region, req.resource)] -= 1
        self.coming[(req.region, req.resource)] -= 1
        self._record("aid_arrived", req, m.env.now - req.sent)
        if unit.resource == GENERATOR:
            self.joined.append(m.mobile[req.region].join(unit.id, lambda: self._release(req)))
        elif unit.resource == TRUCK:
            m.fuel.add_truck(req.region, unit.id)
        else:
            post = self.for_post.pop(req.id)
            Timer(m.env, m.travel.between(m.bases[req.region], post.site.location),
                  lambda: self._join(req, post))

    def _release(self, req: Request) -> None:
        """A generator the region no longer needs goes back to its source."""
        m = self.model
        unit = req.unit
        assert unit is not None
        self._record("aid_released", req, m.env.now - req.sent)

        def back() -> None:
            unit.free = True
            self._next_round()

        Timer(m.env, self.travel(unit, req.region), back)

    # --- staff from outside -------------------------------------------------------------------

    def post_changed(self, post: Post) -> None:
        """A post's staffing changed: one short of its minimum asks after ``ask_after_h``.

        The wait counts from the shortage, but not before ``staffing.self_mobilisation_h``:
        until then the post's own people may still be on their way.
        """
        if not self.params.enabled:
            return
        if post.active and not post.staffed():
            if post.id not in self.short:
                now = self.model.env.now
                self.short[post.id] = (post, now)
                # Before the self-mobilisation hour its own people may still be coming.
                coming = self.model.params.staffing.self_mobilisation_h or 0.0
                Timer(self.model.env, max(now, coming) + self.params.ask_after_h - now,
                      partial(self._still_short, post, now))
        else:
            self.short.pop(post.id, None)

    def _still_short(self, post: Post, since: float) -> None:
        """Short all along since ``since``: ask for a crew (once at a time per post)."""
        if self.short.get(post.id) != (post, since) or post.id in self.asked_for:
            return
        self.asked_for.add(post.id)
        site = post.site
        kind = "coordination_point" if crew_for(post) == FIRE_CREW else "support_point"
        req = self._ask(site.region, crew_for(post), kind, site.municipality, post.id)
        if req is not None:
            self.for_post[req.id] = post

    def _join(self, req: Request, post: Post) -> None:
        """The crew joins the post's roster.

        If the post no longer needs it, the nearest post of the region still short
        does; if none is, the crew goes back.
        """
        self.asked_for.discard(post.id)
        m = self.model
        if not post.active or post.staffed():
            others = [p for p, _ in self.short.values() if p.site.region == req.region
                      and crew_for(p) == req.resource and p.active and not p.staffed()]
            if not others:
                self._record("aid_released", req, m.env.now - req.sent)
                return
            here = post.site.location
            post = min(others, key=lambda p: (m.travel.between(here, p.site.location), p.id))
            Timer(m.env, m.travel.between(here, post.site.location), lambda: self._join(req, post))
            return
        post.join_from_outside(STAFF_KIND[req.resource], self.params.crew_size,
                               req.unit.id if req.unit else req.id)


def crew_for(post: Post) -> str:
    """The crew a post asks for: fire crews for coordination points, relief teams otherwise."""
    return FIRE_CREW if post.id.startswith("CP-") else RELIEF_TEAM
