"""Schemas of the config groups that describe the model (``configs/<group>/``).

Types only: parameter values (``MISSING`` here) live in one place, the YAML
files of ``configs/``, each with its source. An unknown key or a value of the
wrong type fails when Hydra composes the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class LayerSourceConfig:
    """Where one layer comes from; ``path: null`` means the region's GeoPackage."""

    path: str | None = None
    #: Layer inside the file (default: the layer of the canonical name, or the only layer).
    layer: str | None = None
    #: The CRS the coordinates are in, overriding what the file says (or does not say).
    crs: str | None = None
    #: Source column -> canonical column, e.g. {statcode: code, statnaam: name}.
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class LayersConfig:
    """One source per layer."""

    municipalities: LayerSourceConfig = field(default_factory=LayerSourceConfig)
    demand_points: LayerSourceConfig = field(default_factory=LayerSourceConfig)
    fire_stations: LayerSourceConfig = field(default_factory=LayerSourceConfig)
    support_point_candidates: LayerSourceConfig = field(default_factory=LayerSourceConfig)
    regions: LayerSourceConfig = field(default_factory=LayerSourceConfig)


@dataclass
class SelectConfig:
    """Which municipalities to model; both empty means all loaded."""

    codes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


@dataclass
class NetworkConfig:
    """Road travel over the municipality graph (all ESTIMATEs)."""

    detour_factor: float = MISSING
    road_speed_kmh: float = MISSING
    local_speed_kmh: float = MISSING
    border_tolerance_m: float = MISSING
    min_shared_border_m: float = MISSING


@dataclass
class RegionConfig:
    """The geodata: files, column mapping, selection and network."""

    #: null: the embedded national geodata/nl.gpkg.
    geopackage: str | None = None
    #: CSV with code, region and population per municipality (null: the embedded table).
    municipality_table: str | None = None
    select: SelectConfig = field(default_factory=SelectConfig)
    layers: LayersConfig = field(default_factory=LayersConfig)
    #: Points this close to a municipality (but outside it) are assigned to it.
    snap_tolerance_m: float = MISSING
    #: Repair invalid polygons with shapely.make_valid instead of rejecting them.
    repair_geometries: bool = MISSING
    network: NetworkConfig = field(default_factory=NetworkConfig)


@dataclass
class TimeDistConfig:
    """A time in hours: fixed, or drawn from a uniform or triangular distribution."""

    distribution: str = MISSING
    hours: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None


@dataclass
class AffectedConfig:
    """Where the power goes out; both empty means the whole loaded region."""

    regions: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)


@dataclass
class WaveConfig:
    """One restoration wave: which municipalities, and how long after the outage's end."""

    regions: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    #: Instead of a list: this share of the municipalities still waiting, drawn at random.
    share: float | None = None
    after: TimeDistConfig = field(default_factory=TimeDistConfig)


@dataclass
class AreaConfig:
    """An outage area smaller than a municipality: its population centres, or a polygon."""

    code: str = MISSING
    name: str = MISSING
    demand_points: list[str] = field(default_factory=list)
    #: A polygon in WKT, EPSG:28992 metres (instead of demand_points).
    wkt: str | None = None


@dataclass
class RotatingConfig:
    """Rotating supply for municipalities still waiting once restoration has started."""

    enabled: bool = MISSING
    on_h: float = MISSING
    off_h: float = MISSING


@dataclass
class OutageConfig:
    """The black-out: when it starts, how long it lasts, where, how power returns."""

    #: Local time (Europe/Amsterdam) at t = 0, ISO format.
    start: str = MISSING
    duration: TimeDistConfig = field(default_factory=TimeDistConfig)
    #: Parts of municipalities split off as areas of their own (see sim.geo.areas).
    areas: list[AreaConfig] = field(default_factory=list)
    affected: AffectedConfig = field(default_factory=AffectedConfig)
    waves: list[WaveConfig] = field(default_factory=list)
    rotating: RotatingConfig = field(default_factory=RotatingConfig)


@dataclass
class ServiceConfig:
    """How one vital service rides out a grid failure."""

    backup: TimeDistConfig = field(default_factory=TimeDistConfig)
    restore: TimeDistConfig = field(default_factory=TimeDistConfig)
    fails_share: float = MISSING
    recharge_h: float = MISSING


@dataclass
class CascadeConfig:
    """Cascading effects per municipality."""

    mobile: ServiceConfig = field(default_factory=ServiceConfig)
    fixed_network: ServiceConfig = field(default_factory=ServiceConfig)
    c2000: ServiceConfig = field(default_factory=ServiceConfig)
    water_pressure: ServiceConfig = field(default_factory=ServiceConfig)
    heating: ServiceConfig = field(default_factory=ServiceConfig)
    payment: ServiceConfig = field(default_factory=ServiceConfig)
    operator_generators_share: float = MISSING
    operator_generators_at: TimeDistConfig = field(default_factory=TimeDistConfig)


@dataclass
class FixedGeneratorConfig:
    """Fixed generators at sites."""

    start_failure_prob: float = MISSING
    failure_rate_per_h: float = MISSING
    repair: TimeDistConfig = field(default_factory=TimeDistConfig)
    technicians_per_region: dict[str, int] = field(default_factory=dict)
    refuel_threshold: float = MISSING
    min_autonomy_h: float | None = None


@dataclass
class MobileGeneratorConfig:
    """The regional pools of mobile generators."""

    per_region: dict[str, int] = field(default_factory=dict)
    kva: float = MISSING
    #: Hours at full load on one tank (litres derived from the consumption table).
    autonomy_h: float = MISSING
    setup_h: float = MISSING
    priority: list[str] = MISSING


@dataclass
class PowerConfig:
    """Power at the sites."""

    #: Site kind -> share of the generator's rating drawn (load).
    load: dict[str, float] = MISSING
    #: kVA -> litres per hour at 25/50/75/100 % load.
    consumption_l_per_h: dict[str, list[float]] = MISSING
    fixed: FixedGeneratorConfig = field(default_factory=FixedGeneratorConfig)
    mobile: MobileGeneratorConfig = field(default_factory=MobileGeneratorConfig)


@dataclass
class OutsideDemandConfig:
    """Fuel demand from outside the model's sites (hospitals, care homes, ...)."""

    requests_per_day_per_100k: float = MISSING
    litres: float = MISSING


@dataclass
class FuelConfig:
    """Depots and fuel trucks."""

    trucks_per_region: dict[str, int] = field(default_factory=dict)
    #: Region -> CBS code of the municipality holding its depot and base (default: the
    #: region's most populous municipality).
    depot_municipalities: dict[str, str] = field(default_factory=dict)
    truck_capacity_l: float = MISSING
    pump_rate_l_per_h: float = MISSING
    delivery_setup_h: float = MISSING
    depot_refill_h: float = MISSING
    #: Request kinds from first to last served (the verdringingsreeks).
    priority: list[str] = MISSING
    outside_demand: dict[str, OutsideDemandConfig] = MISSING


@dataclass
class CommsConfig:
    """Channels for messages and their delays."""

    phone_h: float = MISSING
    c2000_h: float = MISSING
    satellite_h: float = MISSING
    dares_h: float = MISSING
    runner_handover_h: float = MISSING
    satellite_at_coordination_points: bool = MISSING
    c2000_at_support_points: bool = MISSING
    dares_regions: list[str] = MISSING
    sitrep_interval_h: float = MISSING
    #: Safety region (code, name or short name; or ``default``) -> CBS code of the
    #: municipality of its meldkamer.
    meldkamers: dict[str, str] = field(default_factory=dict)
    #: One meldkamer for every region (a CBS code) instead of ``meldkamers``; null: not used.
    meldkamer_municipality: str | None = None


@dataclass
class StationsConfig:
    """Fire stations: backup power and which act as coordination points."""

    #: data: as in the layer; shares: redraw per region; all / none: every or no station.
    backup_power: str = MISSING
    backup_power_share: dict[str, float] = field(default_factory=dict)
    #: Generator size and tank (hours at full load) for stations that gain backup power.
    generator_kva: float = MISSING
    autonomy_h: float = MISSING
    #: data: as in the layer; prefer_backup: one per municipality, preferring backup power.
    coordination_points: str = MISSING
    #: Share of all stations closed by budget cuts, taken from volunteer posts.
    closed_volunteer_posts_share: float = 0.0
    #: One backup-power share for every region (null: unused); redrawn as with shares.
    backup_share: float | None = None
    #: Station ids that gain a fixed generator on top of the backup_power policy.
    add_backup: list[str] = field(default_factory=list)


@dataclass
class PhaseConfig:
    """One activation phase: this share of the planned points, decided at this hour."""

    share: float = MISSING
    at_h: float = MISSING


@dataclass
class ActivationConfig:
    """Which local points are activated, and how the decision reaches them."""

    #: all: every candidate at once; phased: shares at set hours (largest sites first);
    #: priority: by a list of site types or ids, per municipality.
    policy: str = MISSING
    phases: list[PhaseConfig] = field(default_factory=list)
    #: automatic: a pre-agreed trigger; order: a decision that must reach the point.
    trigger: str = MISSING
    auto_trigger_h: float = MISSING
    decision: TimeDistConfig = field(default_factory=TimeDistConfig)
    #: priority: site types or ids, most wanted first (unlisted sites stay closed).
    priority: list[str] = field(default_factory=list)
    per_municipality: int | None = None
    step_h: float = 0.0


@dataclass
class SupportPointsConfig:
    """Local emergency support points (noodsteunpunten)."""

    #: National norm: fully operational within 72 hours.
    operational_deadline_h: float = MISSING
    activation: ActivationConfig = field(default_factory=ActivationConfig)
    key_holder: TimeDistConfig = field(default_factory=TimeDistConfig)
    setup: TimeDistConfig = field(default_factory=TimeDistConfig)
    supplies_loading_h: float = MISSING
    nafase_h: float = MISSING
    #: data: as in the layer; all / none: every or no candidate site has a generator.
    backup_power: str = MISSING
    generator_kva: float = MISSING
    autonomy_h: float = MISSING
    #: Candidate site ids that gain a generator on top of the backup_power setting.
    add_generators: list[str] = field(default_factory=list)
    supplies: SuppliesConfig = field(default_factory=lambda: SuppliesConfig())


@dataclass
class SuppliesConfig:
    """Water, food and blankets at local points, and the regional stock behind them."""

    water_l: float = MISSING
    food_rations: float = MISSING
    blankets: float = MISSING
    reorder_share: float = MISSING
    regional_water_l_per_1000: float = MISSING
    regional_food_rations_per_1000: float = MISSING
    regional_blankets_per_1000: float = MISSING
    close_when_out: bool = MISSING


@dataclass
class HelpersConfig:
    """Spontaneous helpers who turn up at open points."""

    per_point_day: float = MISSING
    register_h: float = MISSING
    stay_h: float = MISSING
    per_staff: float = MISSING


@dataclass
class LaterConfig:
    """People not available at the call-up who come later (childcare arranged, back home)."""

    share: float = MISSING
    after: TimeDistConfig = field(default_factory=TimeDistConfig)


@dataclass
class StaffingConfig:
    """Staff pools, call-up and shifts."""

    volunteer_availability_day: float = MISSING
    volunteer_availability_night: float = MISSING
    professional_availability: float = MISSING
    day_start_hour: int = MISSING
    day_end_hour: int = MISSING
    reservist_share: float = MISSING
    reservists_leave_h: float = MISSING
    crew_share_for_coordination: float = MISSING
    municipal_staff_per_10k: float = MISSING
    red_cross_per_100k: float = MISSING
    self_mobilisation_h: float | None = None
    min_staff_per_point: int = MISSING
    min_professionals_per_point: int = MISSING
    staff_per_point: int = MISSING
    staff_per_coordination_point: int = MISSING
    min_staff_per_coordination_point: int = MISSING
    shift_hours: float = MISSING
    rest_hours: float = MISSING
    #: Longest continuous duty when a small pool has no relief for the minimum.
    max_duty_hours: float = 16.0
    later: LaterConfig = field(default_factory=lambda: LaterConfig())
    leave_per_day: float = MISSING
    spontaneous: HelpersConfig = field(default_factory=lambda: HelpersConfig())
