"""Schema of the ``population`` group: needs, access, reduced self-reliance, the care chain.

Types only; the values, each with its source, are in ``configs/population/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.groups import TimeDistConfig


@dataclass
class AccessConfig:
    """How far residents go to a point, and how fast."""

    cycling_share: float = MISSING
    walk_km: float = MISSING
    cycle_km: float = MISSING
    walk_kmh: float = MISSING
    cycle_kmh: float = MISSING
    #: Open points within this many km of the nearest one share its visitors evenly.
    spread_km: float = MISSING


@dataclass
class NeedConfig:
    """One kind of need.

    Visits per 1,000 residents in need per day, staff time per visit, and hours after
    its trigger that it starts.
    """

    per_1000_day: float = MISSING
    service_h: float = MISSING
    after_h: float = MISSING


@dataclass
class NeedsConfig:
    """Residents' needs at support points."""

    information: NeedConfig = field(default_factory=NeedConfig)
    water: NeedConfig = field(default_factory=NeedConfig)
    food: NeedConfig = field(default_factory=NeedConfig)
    warmth: NeedConfig = field(default_factory=NeedConfig)
    charging: NeedConfig = field(default_factory=NeedConfig)
    first_aid: NeedConfig = field(default_factory=NeedConfig)
    emergency: NeedConfig = field(default_factory=NeedConfig)
    information_no_phone_factor: float = MISSING
    warmth_stay_h: float = MISSING


@dataclass
class PublicOrderConfig:
    """When scarce goods meet long queues."""

    wait_h: float = MISSING
    chance_per_h: float = MISSING


@dataclass
class VulnerableGroupConfig:
    """One subgroup of residents with reduced self-reliance."""

    per_100k: float = MISSING
    #: What starts the clock to harm: grid (device battery, care) or heating (cold).
    clock: str = MISSING
    time_to_harm: TimeDistConfig = field(default_factory=TimeDistConfig)
    can_travel_share: float = MISSING
    neighbour_help_share: float = MISSING
    neighbour_delay: TimeDistConfig = field(default_factory=TimeDistConfig)
    #: Outreach order: lower first.
    priority: int = MISSING
    #: Kept alive by a device on mains power: only power makes them safe (a supplier's
    #: battery or bottle, admission, a point with power); others raise the alarm.
    needs_power: bool = MISSING
    #: Share who are clients of a home-care provider (thuiszorg, wijkverpleging).
    care_client_share: float = MISSING
    #: The supplier or centre whose patient list holds them (a key of care.suppliers), or null.
    supplier: str | None = None
    #: Share whose household calls 112 when the device battery runs low (if phones work).
    calls_112_share: float = MISSING
    #: Share who come to harm at all if nobody helps in time (the rest cope on their own:
    #: warm clothes and blankets, a spare battery, family who take them in).
    at_risk_share: float = 1.0


@dataclass
class OutreachConfig:
    """Outreach teams sent from local points to known vulnerable residents."""

    registry: bool = MISSING
    registry_coverage: float = MISSING
    known_without_registry: TimeDistConfig = field(default_factory=TimeDistConfig)
    staff_share: float = MISSING
    team_size: int = MISSING
    visit_h: float = MISSING
    speed_kmh: float = MISSING
    max_distance_km: float = MISSING


@dataclass
class HomeCareConfig:
    """Home-care providers (thuiszorg, wijkverpleging) visiting their own clients."""

    staff_per_100k: float = MISSING
    start_h: float = MISSING
    visit_h: float = MISSING
    no_phone_factor: float = MISSING
    fuel_h: float = MISSING
    no_fuel_factor: float = MISSING


@dataclass
class SupplierConfig:
    """A supplier or centre with a patient list (home ventilation, home oxygen)."""

    list_share: float = MISSING
    staff_per_100k: float = MISSING
    start_h: float = MISSING
    visit_h: float = MISSING
    no_phone_delay_h: float = MISSING


@dataclass
class AmbulanceConfig:
    """Ambulance transport (RAV) to admission, reached over 112 or a report at a point."""

    per_100k: float = MISSING
    transport_h: float = MISSING
    call_at_share: float = MISSING
    report_h: float = MISSING


@dataclass
class CareConfig:
    """The care chain for residents who depend on care or devices."""

    enabled: bool = MISSING
    home_care: HomeCareConfig = field(default_factory=HomeCareConfig)
    suppliers: dict[str, SupplierConfig] = field(default_factory=dict)
    ambulance: AmbulanceConfig = field(default_factory=AmbulanceConfig)
    #: Places with backup power for admitted patients (hospitals, care homes), per 100,000.
    admission_per_100k: float = MISSING


@dataclass
class PopulationConfig:
    """Residents' preparedness, needs and reduced self-reliance."""

    season: str = MISSING
    household_size: float = MISSING
    emergency_kit_share: float = MISSING
    kit_h: float = MISSING
    own_food_h: float = MISSING
    water_stock_share: float = MISSING
    water_l_per_person_day: float = MISSING
    access: AccessConfig = field(default_factory=AccessConfig)
    slice_h: float = MISSING
    patience_h: float = MISSING
    needs: NeedsConfig = field(default_factory=NeedsConfig)
    public_order: PublicOrderConfig = field(default_factory=PublicOrderConfig)
    vulnerable: dict[str, VulnerableGroupConfig] = field(default_factory=dict)
    outreach: OutreachConfig = field(default_factory=OutreachConfig)
    care: CareConfig = field(default_factory=lambda: CareConfig())
