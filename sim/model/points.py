"""Coordination points and local support points (noodsteunpunten).

A designated fire station *functions* as a coordination point while it is
powered (grid, fixed or mobile generator) and staffed to its minimum; its
crews are called up when the outage starts.

Each planned local point goes through a chain of its own:

1. decision: a pre-agreed automatic trigger, or an order from the municipality
   that must reach the point as a message (ROT -> coordination point -> site)
   over whatever channel works;
2. then, in parallel: a key holder opens the building (slower without phones),
   the staff are called up, the first supplies are loaded at the regional stock
   and driven over, and a mobile generator is asked for if there is no power;
3. setup, once the key holder and the minimum staff are there;
4. open: *fully* when it has power, with *reduced functions* (no charging, no
   warmth) when not; closed again while it cannot be staffed to its minimum,
   or (``supplies.close_when_out``) while it has neither water nor food left
   (``out_of_supplies``) until the next delivery from the regional stock;
5. stood down ``nafase_h`` hours after its grid returns (the recovery phase,
   nafase), when it hands over; from then on it is ``stood_down``, not closed.

Every change is a ``point_state`` record: value 1 open with power, 0.5 open
with reduced functions, 0 not open; detail the state. A coordination point
stands down at the same moment (``cp_stood_down``); the indicators leave
stood-down points out of their shares, so a share ends there instead of
dropping to 0. Visitors and stock are
handled in bulk by ``sim.model.residents``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.power import Site, Timer
from sim.model.staffing import Post

if TYPE_CHECKING:
    from sim.model.engine import Model

STATE_VALUE = {"open_full": 1.0, "open_reduced": 0.5, "closed": 0.0,
               "out_of_supplies": 0.0, "stood_down": 0.0}


class CoordinationPoint:
    """A fire station acting as coordination point."""

    def __init__(self, model: Model, site: Site, post: Post) -> None:
        self.model = model
        self.site = site
        self.post = post
        self.functional = False
        post.listeners.append(self.update)
        site.listeners.append(self.update)

    def stand_down(self) -> None:
        """After the nafase: the crews go home; the point has done its work."""
        m = self.model
        m.rec.add(m.env.now, "cp_stood_down", self.site.municipality, self.site.id)
        self.post.close()

    def update(self) -> None:
        """Record a change in whether it functions."""
        now = self.site.powered() and self.post.staffed()
        if now != self.functional:
            self.functional = now
            m = self.model
            m.rec.add(m.env.now, "cp_functional", self.site.municipality, self.site.id,
                      value=float(now))


class LocalPoint:
    """A planned local support point and its activation chain."""

    def __init__(self, model: Model, site: Site, post: Post, decide_at: float,
                 capacity: int) -> None:
        self.model = model
        self.site = site
        self.post = post
        self.decide_at = decide_at
        #: Places for visitors who stay (warmth).
        self.capacity = capacity
        self.residents_index = -1
        #: Where the residents' streams read this point's state and staff on duty
        #: (per point, at ``residents_index``); kept current by :meth:`update`.
        self.sink: tuple[np.ndarray, np.ndarray] | None = None
        self._activated_at = 0.0
        self.key = False
        self.supplies = False
        self.stocked = True
        self.setup_started = False
        self.setup_done = False
        self.closed_for_good = False
        self.state = "closed"
        post.listeners.append(self.update)
        site.listeners.append(self.update)

    def start(self) -> None:
        """Schedule the decision."""
        Timer(self.model.env, self.decide_at - self.model.env.now, self._decided)

    def _decided(self) -> None:
        m = self.model
        sp = m.params.support_points
        if sp.trigger == "automatic":
            self._activate()
        else:
            m.send_order(self.site, lambda _t: self._activate())

    def _activate(self) -> None:
        m = self.model
        if self.closed_for_good or self.post.active:
            return
        sp = m.params.support_points
        m.rec.add(m.env.now, "point_activated", self.site.municipality, self.site.id)
        rng = m.streams.get(f"points.{self.site.id}")
        key_delay = sp.key_holder.sample(rng)
        if not m.phones_work(self.site.municipality, m.env.now):
            key_delay *= 2  # the key holder must be fetched in person
        self._activated_at = m.env.now
        Timer(m.env, key_delay, self._key_arrived)
        depot = m.bases[self.site.region]
        Timer(m.env, sp.supplies_loading_h + m.travel.between(depot, self.site.location),
              self._supplies_arrived)
        self._setup_h = sp.setup.sample(rng)
        self.site.wants_mobile = True
        self.post.activate(m.phones_work)
        self.site.update()
        self.update()

    def _key_arrived(self) -> None:
        self.key = True
        m = self.model
        m.rec.add(m.env.now, "key_holder", self.site.municipality, self.site.id,
                  value=m.env.now - self._activated_at)
        self.update()

    def _supplies_arrived(self) -> None:
        self.supplies = True
        self.model.residents.first_delivery(self)

    def set_stocked(self, stocked: bool) -> None:
        """Whether the point has goods to hand out (it may close while it has none)."""
        self.stocked = stocked or not self.model.params.support_points.supplies.close_when_out
        self.update()

    def _setup_finished(self) -> None:
        self.setup_done = True
        m = self.model
        m.rec.add(m.env.now, "point_set_up", self.site.municipality, self.site.id,
                  value=self._setup_h)
        self.update()

    def close_for_good(self) -> None:
        """After the nafase: hand over and close."""
        self.closed_for_good = True
        self.site.wants_mobile = False
        self.post.close()
        self.update()
        m = self.model
        m.rec.add(m.env.now, "point_closed", self.site.municipality, self.site.id)

    def update(self) -> None:
        """Advance the chain and record a change of state."""
        m = self.model
        if (self.post.active and self.key and not self.setup_started
                and self.post.staffed()):
            self.setup_started = True
            Timer(m.env, self._setup_h, self._setup_finished)
        is_open = (not self.closed_for_good and self.setup_done and self.supplies
                   and self.post.staffed())
        state = ("open_full" if self.site.powered() else "open_reduced") if is_open else "closed"
        if is_open and not self.stocked:
            state = "out_of_supplies"
        if self.closed_for_good:
            state = "stood_down"
        if state != self.state:
            self.state = state
            m.rec.add(m.env.now, "point_state", self.site.municipality, self.site.id,
                      value=STATE_VALUE[state], detail=state)
        if self.sink is not None:  # every change of state or staff passes here
            self.sink[0][self.residents_index] = STATE_VALUE[state]
            self.sink[1][self.residents_index] = len(self.post.on_duty)
