"""Parameters of help from outside the affected area (the ``aid`` group)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.params.reader import MAX_HOURS, Reader

#: The kinds of need the LOCC ranks: a site kind asking for a generator, or fuel.
NEED_KINDS = ("coordination_point", "support_point", "fuel")
#: Safety regions in the Netherlands (Wet veiligheidsregio's; high).
NATIONAL_REGIONS = 25
#: Residents of the Netherlands on 1 January 2025 (CBS; high): the dark share's denominator.
NATIONAL_POPULATION = 18_044_027


@dataclass(frozen=True)
class Source:
    """One pool outside the affected area."""

    name: str
    generators: int
    trucks: int
    mobilise_h: float
    #: Travel to a region's base when the source lies outside the modelled area.
    travel_h: float
    #: CBS code of the base (None: outside the modelled area, or spread over regions).
    base: str | None = None
    #: Teams of ``crew_size`` people: fire crews (regions) or relief teams (Red Cross).
    crews: int = 0


@dataclass(frozen=True)
class GridOperatorParams:
    """The grid operators' own generators on transformer houses (``sim.model.grid_operator``).

    Not allocated by the LOCC: the grid operator places them itself.
    """

    #: Units the grid operators can bring to a regional outage (own fleet and hired).
    generators: int = 0
    #: Households one unit on a transformer house powers.
    households_per_generator: float = 70.0
    #: Hours from the start of the outage until the first units leave.
    mobilise_h: float = 20.0
    #: Units the grid operators' crews bring out and connect per hour after that.
    placed_per_h: float = 5.0
    #: Drive and connection at the transformer house; also between municipalities.
    travel_h: float = 2.0
    #: Available = generators x (1 - shrink x dark share of the Dutch population).
    shrink: float = 0.7

    def available(self, dark_share: float) -> int:
        """Units left when ``dark_share`` of the country is dark (hired units are claimed)."""
        left = max(0.0, 1.0 - self.shrink * dark_share)
        return math.floor(self.generators * left + 1e-9)


@dataclass(frozen=True)
class AidParams:
    """The request path and the pools; the counts are the configured sizes."""

    enabled: bool
    ask_after_h: float
    fuel_wait_h: float
    fuel_requests_per_truck: int
    channel_h: float
    round_h: float
    priority: tuple[str, ...]
    #: Per safety region that is not dark (generators and trucks are per region).
    regions: Source
    defence: Source
    defence_available_share: float
    market: Source
    market_shrink: float
    #: The Red Cross's relief teams (``crews``), fewer as more of the country is dark.
    red_cross: Source
    #: People in one fire crew or relief team from outside.
    crew_size: int
    #: The grid operators' generators on transformer houses (none by default here).
    grid_operator: GridOperatorParams = GridOperatorParams()

    def rank(self, kind: str) -> int | None:
        """Place of a need kind in the LOCC's order (None: never served from outside)."""
        return self.priority.index(kind) if kind in self.priority else None


def read_aid(c: Reader) -> AidParams:
    """The ``aid`` group."""
    priority = c.codes("aid.priority")
    bad = [p for p in priority if p not in NEED_KINDS]
    if bad or len(set(priority)) != len(priority):
        c.problems.add("aid.priority", list(priority),
                       f"must list need kinds at most once each, from {list(NEED_KINDS)}")
    s = "aid.sources"

    def hours(key: str, hi: float = 7 * 24) -> float:
        return c.number(key, lo=0, hi=hi)

    regions = Source("regions", c.integer(f"{s}.regions.generators_per_region", 0, 100),
                     c.integer(f"{s}.regions.trucks_per_region", 0, 100),
                     hours(f"{s}.regions.mobilise_h"), hours(f"{s}.regions.travel_h", 48),
                     crews=c.integer(f"{s}.regions.crews_per_region", 0, 100))
    red_cross = Source("red_cross", 0, 0, hours(f"{s}.red_cross.mobilise_h"),
                       hours(f"{s}.red_cross.travel_h", 48),
                       crews=c.integer(f"{s}.red_cross.teams", 0, 10_000))
    base = c.text(f"{s}.defence.base")
    defence = Source("defence", c.integer(f"{s}.defence.generators", 0, 10_000),
                     c.integer(f"{s}.defence.trucks", 0, 10_000),
                     hours(f"{s}.defence.mobilise_h"), hours(f"{s}.defence.travel_h", 48),
                     base=base or None)
    market = Source("market", c.integer(f"{s}.market.generators", 0, 10_000),
                    c.integer(f"{s}.market.trucks", 0, 10_000),
                    hours(f"{s}.market.mobilise_h"), hours(f"{s}.market.travel_h", 48))
    g = f"{s}.grid_operator"
    grid_operator = GridOperatorParams(
        generators=c.integer(f"{g}.generators", 0, 100_000),
        households_per_generator=c.number(f"{g}.households_per_generator", lo=0, hi=1000,
                                          lo_open=True),
        mobilise_h=hours(f"{g}.mobilise_h"),
        placed_per_h=c.number(f"{g}.placed_per_h", lo=0, hi=1000, lo_open=True),
        travel_h=hours(f"{g}.travel_h", 48), shrink=c.share(f"{g}.shrink"))
    return AidParams(
        enabled=c.flag("aid.enabled"),
        ask_after_h=hours("aid.ask_after_h", MAX_HOURS),
        fuel_wait_h=c.number("aid.fuel_wait_h", lo=0, hi=MAX_HOURS, lo_open=True),
        fuel_requests_per_truck=c.integer("aid.fuel_requests_per_truck", 1, 1000),
        channel_h=hours("aid.channel_h", 48),
        round_h=c.number("aid.round_h", lo=0, hi=48, lo_open=True),
        priority=tuple(priority),
        regions=regions, defence=defence,
        defence_available_share=c.share(f"{s}.defence.available_share"),
        market=market, market_shrink=c.share(f"{s}.market.shrink"),
        red_cross=red_cross, crew_size=c.integer("aid.crew_size", 1, 50),
        grid_operator=grid_operator,
    )
