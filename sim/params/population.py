"""Parameters of the residents: preparedness, needs, access, reduced self-reliance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from sim.params.care import Care, read_care
from sim.params.reader import MAX_HOURS, Reader
from sim.params.timedist import TimeDist, read_time_dist

#: Residents' needs at support points, in a fixed order.
NEEDS: tuple[str, ...] = (
    "information", "water", "food", "warmth", "charging", "first_aid", "emergency",
)
#: What starts a vulnerable resident's clock to harm.
CLOCKS = ("grid", "heating")


@dataclass(frozen=True)
class Need:
    """Visits per 1,000 residents in need per day, staff hours per visit, start delay."""

    per_1000_day: float
    service_h: float
    after_h: float = 0.0


@dataclass(frozen=True)
class Access:
    """How far residents go to a point, and how fast."""

    cycling_share: float = 0.5
    walk_km: float = 1.0
    cycle_km: float = 3.0
    walk_kmh: float = 4.5
    cycle_kmh: float = 15.0
    #: Open points within this many km of the nearest one share its visitors evenly.
    spread_km: float = 0.5


@dataclass(frozen=True)
class PublicOrder:
    """Incidents where scarce goods meet long queues."""

    wait_h: float = 0.5
    chance_per_h: float = 0.1


@dataclass(frozen=True)
class VulnerableGroup:
    """One subgroup with reduced self-reliance."""

    name: str
    per_100k: float
    clock: str
    time_to_harm: TimeDist
    can_travel_share: float
    neighbour_help_share: float
    neighbour_delay: TimeDist
    priority: int
    #: Kept alive by a device on mains power: only power makes them safe.
    needs_power: bool = False
    #: Share who are clients of a home-care provider.
    care_client_share: float = 0.0
    #: The supplier whose patient list holds them (a key of ``Care.suppliers``), or None.
    supplier: str | None = None
    #: Share whose household calls 112 when the device battery runs low (if phones work).
    calls_112_share: float = 0.0
    #: Share who come to harm at all if nobody helps in time (the rest cope on their own).
    at_risk_share: float = 1.0


@dataclass(frozen=True)
class Outreach:
    """Outreach teams from local points."""

    registry: bool = False
    registry_coverage: float = 0.8
    known_without_registry: TimeDist = TimeDist("fixed", hours=24.0)
    staff_share: float = 0.25
    team_size: int = 2
    visit_h: float = 0.75
    speed_kmh: float = 15.0
    max_distance_km: float = 10.0


@dataclass(frozen=True)
class PopulationParams:
    """Residents' preparedness, needs and reduced self-reliance."""

    winter: bool
    household_size: float
    emergency_kit_share: float
    kit_h: float
    own_food_h: float
    water_stock_share: float
    water_l_per_person_day: float
    access: Access
    slice_h: float
    patience_h: float
    needs: Mapping[str, Need]
    information_no_phone_factor: float
    warmth_stay_h: float
    public_order: PublicOrder
    vulnerable: tuple[VulnerableGroup, ...]
    outreach: Outreach
    care: Care = field(default_factory=Care)


def read_population(c: Reader, start: datetime) -> PopulationParams:
    """The ``population`` group; ``start`` decides the season when it is ``auto``."""
    k = "population"
    season = c.choice(f"{k}.season", ("auto", "winter", "summer"))
    winter = season == "winter" or (season == "auto" and start.month in (11, 12, 1, 2, 3))
    a = f"{k}.access"
    walk_km = c.number(f"{a}.walk_km", lo=0, hi=50, lo_open=True)
    cycle_km = c.number(f"{a}.cycle_km", lo=0, hi=50, lo_open=True)
    if walk_km > cycle_km:
        c.problems.add(f"{a}.walk_km", walk_km,
                       f"must not exceed cycle_km ({cycle_km:g}): nobody walks farther "
                       "than others cycle")
    access = Access(
        cycling_share=c.share(f"{a}.cycling_share"),
        walk_km=walk_km,
        cycle_km=cycle_km,
        walk_kmh=c.number(f"{a}.walk_kmh", lo=0, hi=20, lo_open=True),
        cycle_kmh=c.number(f"{a}.cycle_kmh", lo=0, hi=60, lo_open=True),
        spread_km=c.number(f"{a}.spread_km", lo=0, hi=50),
    )
    needs = {}
    for name in NEEDS:
        n = f"{k}.needs.{name}"
        needs[name] = Need(per_1000_day=c.number(f"{n}.per_1000_day", lo=0, hi=10_000),
                           service_h=c.number(f"{n}.service_h", lo=0, hi=24, lo_open=True),
                           after_h=c.number(f"{n}.after_h", lo=0, hi=MAX_HOURS))
    vulnerable: list[VulnerableGroup] = []
    raw = c.get(f"{k}.vulnerable")
    if isinstance(raw, Mapping):
        for name in raw:
            g = f"{k}.vulnerable.{name}"
            vulnerable.append(VulnerableGroup(
                name=str(name),
                per_100k=c.number(f"{g}.per_100k", lo=0, hi=100_000),
                clock=c.choice(f"{g}.clock", CLOCKS),
                time_to_harm=read_time_dist(c, f"{g}.time_to_harm"),
                can_travel_share=c.share(f"{g}.can_travel_share"),
                neighbour_help_share=c.share(f"{g}.neighbour_help_share"),
                neighbour_delay=read_time_dist(c, f"{g}.neighbour_delay"),
                priority=c.integer(f"{g}.priority", lo=0, hi=1000),
                needs_power=c.flag(f"{g}.needs_power"),
                care_client_share=c.share(f"{g}.care_client_share"),
                supplier=c.optional_text(f"{g}.supplier"),
                calls_112_share=c.share(f"{g}.calls_112_share"),
                at_risk_share=c.number_or(f"{g}.at_risk_share", 1.0, 0.0, 1.0),
            ))
    elif raw is not c.ABSENT and raw is not None:
        c.problems.add(f"{k}.vulnerable", raw, "must be a mapping of subgroup name to settings")
    o = f"{k}.outreach"
    outreach = Outreach(
        registry=c.flag(f"{o}.registry"),
        registry_coverage=c.share(f"{o}.registry_coverage"),
        known_without_registry=read_time_dist(c, f"{o}.known_without_registry"),
        staff_share=c.number(f"{o}.staff_share", lo=0, hi=1),
        team_size=c.integer(f"{o}.team_size", lo=1, hi=20),
        visit_h=c.number(f"{o}.visit_h", lo=0, hi=24, lo_open=True),
        speed_kmh=c.number(f"{o}.speed_kmh", lo=0, hi=130, lo_open=True),
        max_distance_km=c.number(f"{o}.max_distance_km", lo=0, hi=100),
    )
    care = read_care(c)
    for group in vulnerable:
        if group.supplier is not None and group.supplier not in care.suppliers:
            c.problems.add(f"{k}.vulnerable.{group.name}.supplier", group.supplier,
                           f"must be one of population.care.suppliers {sorted(care.suppliers)}"
                           " or null")
    if outreach.staff_share >= 1:
        c.problems.add(f"{o}.staff_share", outreach.staff_share,
                       "must be below 1: some staff must serve at the counter")
    return PopulationParams(
        winter=winter,
        household_size=c.number(f"{k}.household_size", lo=1, hi=10),
        emergency_kit_share=c.share(f"{k}.emergency_kit_share"),
        kit_h=c.number(f"{k}.kit_h", lo=0, hi=MAX_HOURS),
        own_food_h=c.number(f"{k}.own_food_h", lo=0, hi=MAX_HOURS),
        water_stock_share=c.share(f"{k}.water_stock_share"),
        water_l_per_person_day=c.number(f"{k}.water_l_per_person_day", lo=0, hi=100,
                                        lo_open=True),
        access=access,
        slice_h=c.number(f"{k}.slice_h", lo=0.25, hi=6),
        patience_h=c.number(f"{k}.patience_h", lo=0, hi=24, lo_open=True),
        needs=MappingProxyType(needs),
        information_no_phone_factor=c.number(f"{k}.needs.information_no_phone_factor",
                                             lo=1, hi=100),
        warmth_stay_h=c.number(f"{k}.needs.warmth_stay_h", lo=0, hi=48),
        public_order=PublicOrder(
            wait_h=c.number(f"{k}.public_order.wait_h", lo=0, hi=24),
            chance_per_h=c.share(f"{k}.public_order.chance_per_h"),
        ),
        vulnerable=tuple(vulnerable),
        outreach=outreach,
        care=care,
    )

