"""Messages from sites to the coordination point, the regional team (ROT) and the meldkamer.

A message travels hop by hop: a local site to its municipality's coordination
point, the coordination point to the ROT of its safety region, and for
emergency reports on to the meldkamer. Each hop takes the fastest channel
that works at the moment the hop starts:

- telephone: mobile telephony up at both ends, or the fixed network up at
  both ends and the sender powered (routers need power);
- C2000: the sender has a C2000 radio (fire stations; local points only where
  configured) and C2000 is up at both ends;
- satellite phone: at coordination points, where configured;
- DARES amateur radio: at coordination and local points in regions with a
  DARES agreement;
- a runner over the road network, which always works.

The channel choice is a pure function (:func:`best_channel`); the SimPy part
only waits for each hop to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from sim.geo.network import Site as Location
from sim.params.comms import CommsParams

if TYPE_CHECKING:
    import simpy

    from sim.geo.network import TravelTimes
    from sim.model.cascade import Cascade
    from sim.model.records import Recorder

CHANNELS = ("phone", "c2000", "satellite", "dares", "runner")


@dataclass(frozen=True)
class Place:
    """An end of a hop: a site, the ROT or the meldkamer."""

    id: str
    location: Location
    region: str
    role: str  # coordination_point | fire_station | support_point | rot | meldkamer
    #: Whether the municipality is in the modelled network (its services are modelled).
    modelled: bool = True


def best_channel(
    t: float,
    sender: Place,
    receiver: Place,
    sender_powered: bool,
    cascade: Cascade,
    params: CommsParams,
    runner_hours: float,
    receiver_powered: bool = True,
) -> tuple[float, str]:
    """The fastest working channel for one hop starting at ``t``: (hours, channel)."""

    def up(place: Place, service: str) -> bool:
        return not place.modelled or cascade.up(place.location.municipality, service, t)

    options: list[tuple[float, str]] = [(runner_hours + params.runner_handover_h, "runner")]
    if (up(sender, "mobile") and up(receiver, "mobile")) or (
        sender_powered and receiver_powered
        and up(sender, "fixed_network") and up(receiver, "fixed_network")
    ):
        options.append((params.phone_h, "phone"))
    has_c2000 = sender.role in ("coordination_point", "fire_station", "rot") or (
        sender.role == "support_point" and params.c2000_at_support_points
    )
    if has_c2000 and up(sender, "c2000") and up(receiver, "c2000"):
        options.append((params.c2000_h, "c2000"))
    if sender.role == "coordination_point" and params.satellite_at_coordination_points:
        options.append((params.satellite_h, "satellite"))
    if sender.role in ("coordination_point", "support_point") and (
        sender.region in params.dares_regions
    ):
        options.append((params.dares_h, "dares"))
    hours, channel = min(options, key=lambda o: (o[0], CHANNELS.index(o[1])))
    return float(hours), channel


class Comms:
    """Sends messages along their route, recording when and how they arrive."""

    def __init__(
        self,
        env: simpy.Environment,
        recorder: Recorder,
        cascade: Cascade,
        params: CommsParams,
        travel: TravelTimes,
        road_speed_kmh: float,
        detour_factor: float,
        is_powered: Callable[[str], bool],
    ) -> None:
        self.env = env
        self.rec = recorder
        self.cascade = cascade
        self.params = params
        self.travel = travel
        self.road_speed_kmh = road_speed_kmh
        self.detour = detour_factor
        self.is_powered = is_powered
        self.count = 0

    def runner_hours(self, a: Place, b: Place) -> float:
        """Road travel time between two places (straight line when one is outside the network)."""
        if a.modelled and b.modelled:
            return self.travel.between(a.location, b.location)
        d = float(np.hypot(a.location.x - b.location.x, a.location.y - b.location.y))
        return d * self.detour / (self.road_speed_kmh * 1000.0)

    def send(self, kind: str, route: list[Place],
             on_delivered: Callable[[float], None] | None = None) -> str:
        """Send a message along ``route`` (sender first); call back on delivery; its id."""
        self.count += 1
        msg_id = f"M{self.count:06d}"
        sender = route[0]
        self.rec.add(self.env.now, "message_sent", sender.location.municipality, sender.id,
                     detail=f"{kind}:{msg_id}")
        self.env.process(self._carry(kind, msg_id, route, on_delivered))
        return msg_id

    def _carry(self, kind: str, msg_id: str, route: list[Place],
               on_delivered: Callable[[float], None] | None,
               ) -> Generator[simpy.Event, None, None]:
        start = self.env.now
        used: list[str] = []
        for a, b in pairwise(route):
            if a.id == b.id:
                continue
            powered = a.role in ("rot", "meldkamer") or self.is_powered(a.id)
            receiving = b.role in ("rot", "meldkamer") or self.is_powered(b.id)
            hours, channel = best_channel(self.env.now, a, b, powered, self.cascade,
                                          self.params, self.runner_hours(a, b), receiving)
            used.append(channel)
            yield self.env.timeout(hours)
        dest = route[-1]
        delay = self.env.now - start
        self.rec.add(self.env.now, "message_delivered", route[0].location.municipality,
                     route[0].id, value=delay,
                     detail=f"{kind}:{dest.role}:{'+'.join(used) or 'local'}:{msg_id}")
        if on_delivered is not None:
            on_delivered(self.env.now)
