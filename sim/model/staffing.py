"""Staffing: people, call-up, travel and a roster with shifts and rest at each post.

A post is a coordination point or a local support point. Its pool is a list of
people (fire-brigade volunteers and professionals, municipal staff, Red Cross
volunteers), each with a home, a chance to be available (by kind and time of
day) and a way to learn of the call-up: by phone (or pager) while that works in
their home municipality, else by a pre-agreed self-mobilisation rule, else not
at all. Who is not available when called may come later (childcare arranged,
back from work elsewhere: a share of them, after a drawn delay); whoever is
present may drop out for good (their own household, exhaustion). Those who
come travel to the post and join its roster. A post needs a
minimum on duty (with enough professionals) to function and puts more on duty,
up to its target, when its pool allows while keeping relief for the next shifts:
at most ``present // crews`` at once, where ``present`` counts those who came and
``crews`` the shifts in one work-and-rest cycle. Professionals go on duty first
where the post needs them; nobody works more than ``shift_hours`` without ``rest_hours`` of rest, so
a long outage needs relief. Shifts change at fixed times, every ``shift_hours``
from the moment the post is called up: whoever arrives in between joins the
running shift, everyone on duty goes off at the change, and whoever has rested
long enough is back for the next one (one event per post and shift change, not
one per person). Reservists leave at a set time in a defence scenario.

Random draws are made per post as one row per person (``rng.random((n, k))``),
so adding people to a pool leaves the draws of the others unchanged (common
random numbers).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from sim.geo.network import Site as Location
from sim.model.power import Site, Timer

if TYPE_CHECKING:
    from sim.model.engine import Model

#: Columns of the per-person draws: availability, home, reservist, comes later, the delay
#: until then, and when they drop out.
_DRAWS = 6


@dataclass(eq=False)
class Person:
    """One member of a post's pool."""

    id: str
    kind: str  # fire_volunteer | fire_professional | municipal | red_cross
    professional: bool
    reservist: bool
    home: Location
    u_available: float
    #: Hours after the call-up reaches them that someone not available then comes anyway
    #: (inf: never).
    later_h: float = math.inf
    #: Hours present before they drop out for good (inf: never).
    stays_h: float = math.inf
    state: str = "home"  # home | later | travelling | ready | duty | rest | gone
    #: When they reached the post (inf: not yet, or never).
    arrived_at: float = math.inf
    shift_start: float = 0.0
    rest_until: float = 0.0
    worked_h: float = 0.0
    #: The ``shift_end`` record's detail, ``id:kind`` (made once).
    label: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.label = f"{self.id}:{self.kind}"


class Post:
    """A place that needs staff, with its pool and roster."""

    def __init__(self, model: Model, post_id: str, site: Site, required: int,
                 min_professionals: int, target: int | None = None) -> None:
        self.model = model
        self.id = post_id
        self.site = site
        self.required = required
        #: Most people on duty at once (at least ``required``).
        self.target = max(required, target or required)
        st = model.params.staffing
        self._crews = max(1, math.ceil((st.shift_hours + st.rest_hours) / st.shift_hours - 1e-9))
        #: People who came and have not left (ready, on duty or resting).
        self.present = 0
        self.min_professionals = min_professionals
        self.people: list[Person] = []
        self.on_duty: list[Person] = []
        self._pros_on_duty = 0
        self.ready: deque[Person] = deque()
        self.resting: list[Person] = []
        self.active = False
        self.listeners: list[Callable[[], None]] = []

    # --- the pool ------------------------------------------------------------------------

    def add_people(self, kinds: list[tuple[str, bool]], homes: list[Location],
                   reservist_share: float) -> None:
        """Create the pool: (kind, professional) per person; homes are drawn per person."""
        st = self.model.params.staffing
        rng = self.model.streams.get(f"staff.{self.id}")
        draws = rng.random((len(kinds), _DRAWS))
        later = np.where(draws[:, 3] < st.later_share, st.later_after.quantile(draws[:, 4]),
                         math.inf)
        rate = st.leave_per_day / 24.0
        stays = -np.log1p(-draws[:, 5]) / rate if rate > 0 else np.full(len(kinds), math.inf)
        # Plain floats and lists up front: one pass in Python per person, no array indexing.
        home_at = (draws[:, 1] * len(homes)).astype(np.int64).tolist() if homes else []
        reserve = (draws[:, 2] < reservist_share).tolist()
        avail, later_h, stays_h = draws[:, 0].tolist(), later.tolist(), stays.tolist()
        own = self.site.location
        self.people.extend(
            Person(f"{self.id}/{i}", kind, professional,
                   kind == "fire_volunteer" and reserve[i],
                   homes[home_at[i]] if homes else own, avail[i], later_h[i], stays_h[i])
            for i, (kind, professional) in enumerate(kinds))

    # --- call-up -------------------------------------------------------------------------

    def activate(self, phones_work: Callable[[str, float], bool]) -> None:
        """Call up the pool now; each person comes (or not) in their own time."""
        if self.active:
            return
        self.active = True
        m = self.model
        now = m.env.now
        rule = m.params.staffing.self_mobilisation_h
        for person in self.people:
            if person.state != "home":
                continue
            if phones_work(person.home.municipality, now):
                informed = now
            elif rule is not None:
                informed = max(now, rule)
            else:
                continue  # never learns of the call-up
            self._inform_later(person, informed - now)
        Timer(m.env, m.params.staffing.shift_hours, self._shift_change)
        self._notify()

    def _inform_later(self, person: Person, delay: float) -> None:
        Timer(self.model.env, delay, lambda: self._informed(person))

    def _informed(self, person: Person) -> None:
        m = self.model
        if not self.active or person.state != "home":
            return
        hour = m.local_hour(m.env.now)
        volunteer = not person.professional
        if person.u_available >= m.params.staffing.availability(volunteer, hour):
            if math.isfinite(person.later_h):  # comes once free (childcare, back home)
                person.state = "later"
                Timer(m.env, person.later_h, lambda: self._set_off(person))
            else:
                person.state = "gone"  # not available
            return
        self._set_off(person)

    def _set_off(self, person: Person) -> None:
        m = self.model
        if not self.active or person.state not in ("home", "later"):
            return
        person.state = "travelling"
        travel = m.travel.between(person.home, self.site.location)
        Timer(m.env, travel, lambda: self._arrive(person))

    def _arrive(self, person: Person) -> None:
        if person.state != "travelling":
            return
        person.state = "ready"
        person.arrived_at = self.model.env.now
        self.present += 1
        self.ready.append(person)
        if math.isfinite(person.stays_h):
            Timer(self.model.env, person.stays_h, lambda: self._drop_out(person))
        self._fill()

    def _drop_out(self, person: Person) -> None:
        """Someone leaves for good (their own household, exhaustion)."""
        if person.state not in ("ready", "duty", "rest"):
            return
        if person.state == "duty":
            self._off_duty(person)
        elif person.state == "ready":
            self.ready.remove(person)
        self.present -= 1
        person.state = "gone"
        if self.active:
            self._fill(notify=False)
            self._notify()

    # --- the roster ----------------------------------------------------------------------

    def professionals_on_duty(self) -> int:
        """Professionals now on duty."""
        return self._pros_on_duty

    def staffed(self) -> bool:
        """At least the required staff on duty, with enough professionals."""
        return (len(self.on_duty) >= self.required
                and self.professionals_on_duty() >= self.min_professionals)

    def _pick(self) -> Person | None:
        if not self.ready:
            return None
        if self.professionals_on_duty() < self.min_professionals:
            for person in self.ready:
                if person.professional:
                    self.ready.remove(person)
                    return person
        return self.ready.popleft()

    def cap(self) -> int:
        """How many may be on duty now: the target, less the relief kept back."""
        return max(self.required, min(self.target, self.present // self._crews))

    def _fill(self, notify: bool = True) -> None:
        m = self.model
        changed = False
        cap = self.cap()
        while self.active and len(self.on_duty) < cap:
            person = self._pick()
            if person is None:
                break
            person.state = "duty"
            person.shift_start = m.env.now
            self.on_duty.append(person)
            self._pros_on_duty += person.professional
            changed = True
        if changed and notify:
            self._notify()

    def _shift_change(self) -> None:
        """Everyone on duty goes off to rest; the rested take over."""
        if not self.active:
            return
        m = self.model
        now = m.env.now
        st = m.params.staffing
        rest_until = now + st.rest_hours
        add = m.rec.add
        municipality = self.site.municipality
        on_duty = self.on_duty
        stay = self._stay_on(now, st.shift_hours, st.max_duty_hours)
        if stay:
            on_duty = [p for p in on_duty if p not in stay]
        for person in on_duty:  # as _off_duty for each, in order, without list.remove
            self._pros_on_duty -= person.professional
            hours = now - person.shift_start
            person.worked_h += hours
            add(now, "shift_end", municipality, self.id, hours, person.label)
            person.state = "rest"
            person.rest_until = rest_until
        self.resting.extend(on_duty)
        self.on_duty = stay
        still: list[Person] = []
        for person in self.resting:
            if person.state != "rest":
                continue
            if person.rest_until <= now + 1e-9:
                person.state = "ready"
                self.ready.append(person)
            else:
                still.append(person)
        self.resting = still
        self._fill(notify=False)
        self._notify()
        Timer(m.env, st.shift_hours, self._shift_change)

    def _stay_on(self, now: float, shift_h: float, max_h: float) -> list[Person]:
        """Who of those on duty stays on for another shift.

        Only as many as the relief leaves the post short of its minimum, and only who
        can stay within ``max_h`` hours in a row.
        """
        relief = len(self.ready)
        if relief < self.required:  # only then does the rested count matter
            relief += sum(1 for p in self.resting
                          if p.state == "rest" and p.rest_until <= now + 1e-9)
        short = self.required - relief
        if short <= 0:
            return []
        stay = [p for p in self.on_duty if now - p.shift_start + shift_h <= max_h + 1e-9]
        return stay[:short]

    def _off_duty(self, person: Person) -> None:
        m = self.model
        self.on_duty.remove(person)
        self._pros_on_duty -= person.professional
        hours = m.env.now - person.shift_start
        person.worked_h += hours
        m.rec.add(m.env.now, "shift_end", self.site.municipality, self.id, value=hours,
                  detail=person.label)

    def withdraw_reservists(self) -> None:
        """Reservists are called away: they leave or do not come."""
        left = False
        for person in self.people:
            if not person.reservist or person.state == "gone":
                continue
            if person.state == "duty":
                self._off_duty(person)
                left = True
            if person in self.ready:
                self.ready.remove(person)
            if person.state in ("ready", "duty", "rest"):
                self.present -= 1
            person.state = "gone"
        if left:
            self._fill(notify=False)
            self._notify()

    def close(self) -> None:
        """The post closes: everyone on duty goes home."""
        if not self.active:
            return
        for person in list(self.on_duty):
            self._off_duty(person)
        for person in self.people:
            person.state = "gone" if person.state != "home" else person.state
        self.ready.clear()
        self.resting.clear()
        self.present = 0
        self.active = False
        self._notify()

    def join_from_outside(self, kind: str, size: int, crew: str) -> None:
        """A crew or team from outside the affected area arrives and joins the roster."""
        for k in range(size):
            person = Person(f"{crew}/{k + 1}", kind, False, False, self.site.location, 0.0)
            person.state = "travelling"
            self.people.append(person)
            self._arrive(person)

    def _notify(self) -> None:
        m = self.model
        m.rec.add(m.env.now, "staff_on_duty", self.site.municipality, self.id,
                  value=len(self.on_duty),
                  detail=f"{self.required}:{int(self.active)}:{self.cap()}:{int(self.staffed())}")
        m.aid.post_changed(self)
        for listener in self.listeners:
            listener()


def spread(total: int, n: int) -> list[int]:
    """``total`` people over ``n`` posts as evenly as possible (first posts get the rest)."""
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def homes_in(model: Model, municipality: str) -> list[Location]:
    """Candidate homes: the municipality's population centres, repeated by size (per 1,000)."""
    return list(model.homes.get(municipality, ()))


def homes_by_municipality(demand_points: gpd.GeoDataFrame) -> dict[str, list[Location]]:
    """:func:`homes_in` for every municipality at once (one pass over the demand points)."""
    xy = shapely.get_coordinates(demand_points.geometry.to_numpy())
    out: dict[str, list[Location]] = {}
    for code, res, (x, y) in zip(demand_points["municipality"], demand_points["residents"], xy,
                                 strict=True):
        home = Location(str(code), float(x), float(y))
        out.setdefault(str(code), []).extend([home] * max(1, int(res) // 1000))
    return out


def round_share(n: int, share: float) -> int:
    """Round ``n * share`` to a whole number of people."""
    return int(np.round(n * share))
