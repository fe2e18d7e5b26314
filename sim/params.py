"""One validation step: a plain config mapping in, a frozen typed ``Scenario`` out.

:func:`prepare` checks every key, type and range, loads and checks the
geodata, applies the station policy and returns the parameters with the
region they run on. Every problem found is collected and raised together as
one :class:`~sim.errors.InputError` that names the field, the value and what
is allowed, before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints

import numpy as np

from sim import config as schema
from sim.errors import Problems
from sim.geo.load import GeodataSpec, LayerSource, RegionData, load_region
from sim.geo.network import NetworkParams
from sim.geo.schema import LAYER_NAMES
from sim.geo.synthetic import BuildSettings
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE
from sim.stations import (
    BACKUP_POLICIES,
    COORDINATION_POLICIES,
    apply_station_policy,
    apply_support_point_backup,
)
from sim.streams import Streams

#: Longest horizon (and outage) accepted, in hours: four weeks.
MAX_HOURS = 28 * 24.0
DURATION_KINDS = ("fixed", "uniform", "triangular")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class TimeDist:
    """A time in hours: fixed, or drawn from a uniform or triangular distribution."""

    distribution: str
    hours: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        return float(self.sample_many(rng, 1)[0])

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (a fixed time uses no random numbers)."""
        if self.distribution == "fixed":
            assert self.hours is not None
            return np.full(n, self.hours, dtype=float)
        assert self.low is not None and self.high is not None
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high, size=n)
        assert self.mode is not None
        return rng.triangular(self.low, self.mode, self.high, size=n)

    @property
    def upper(self) -> float:
        """The largest value a draw can take."""
        return float(self.hours if self.distribution == "fixed" else self.high)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Wave:
    """A restoration wave."""

    regions: tuple[str, ...]
    municipalities: tuple[str, ...]
    share: float | None
    after: TimeDist


@dataclass(frozen=True)
class Rotating:
    """Rotating supply while restoration is under way."""

    enabled: bool
    on_h: float
    off_h: float


@dataclass(frozen=True)
class OutageParams:
    """When and where the power goes out."""

    start: datetime
    duration: TimeDist
    affected_regions: tuple[str, ...]
    affected_municipalities: tuple[str, ...]
    waves: tuple[Wave, ...] = ()
    rotating: Rotating = Rotating(enabled=False, on_h=2.0, off_h=4.0)


@dataclass(frozen=True)
class StationParams:
    """Backup-power and coordination-point policy for fire stations."""

    backup_power: str
    backup_power_share: Mapping[str, float]
    generator_kva: float
    tank_l: float
    coordination_points: str
    #: Share of all stations closed by budget cuts, taken from volunteer posts.
    closed_volunteer_posts_share: float = 0.0
    #: One backup-power share for every region (redrawn as with ``shares``); None: unused.
    backup_share: float | None = None


@dataclass(frozen=True)
class Phase:
    """An activation phase."""

    share: float
    at_h: float


@dataclass(frozen=True)
class SupportPointParams:
    """Local support points and their activation chain."""

    operational_deadline_h: float
    policy: str = "all"
    phases: tuple[Phase, ...] = ()
    #: priority policy: site types or ids, most wanted first; unlisted sites stay closed.
    priority: tuple[str, ...] = ()
    #: priority policy: at most this many points per municipality (None: all listed).
    per_municipality: int | None = None
    #: priority policy: hours between the activation of successive points of a municipality.
    step_h: float = 0.0
    trigger: str = "order"
    auto_trigger_h: float = 0.5
    decision: TimeDist = TimeDist("fixed", hours=6.0)
    key_holder: TimeDist = TimeDist("fixed", hours=0.5)
    setup: TimeDist = TimeDist("fixed", hours=2.0)
    supplies_loading_h: float = 1.0
    nafase_h: float = 24.0
    backup_power: str = "data"
    generator_kva: float = 25.0
    tank_l: float = 50.0
    supplies: Supplies = field(default_factory=lambda: Supplies())


@dataclass(frozen=True)
class Supplies:
    """Goods at local points and the regional stock behind them."""

    water_l: float = 6000.0
    food_rations: float = 2000.0
    blankets: float = 200.0
    reorder_share: float = 0.5
    regional_water_l_per_1000: float = 3000.0
    regional_food_rations_per_1000: float = 1000.0
    regional_blankets_per_1000: float = 50.0
    close_when_out: bool = True


@dataclass(frozen=True)
class Helpers:
    """Spontaneous helpers at open points."""

    per_point_day: float = 0.0
    register_h: float = 0.25
    stay_h: float = 8.0
    per_staff: float = 2.0


@dataclass(frozen=True)
class StaffingParams:
    """Staff pools, call-up and shifts."""

    volunteer_availability_day: float
    volunteer_availability_night: float
    reservist_share: float
    min_staff_per_point: int
    #: People on duty per shift at a local point when the pool allows (>= the minimum).
    staff_per_point: int
    staff_per_coordination_point: int
    shift_hours: float
    professional_availability: float = 0.9
    day_start_hour: int = 7
    day_end_hour: int = 19
    reservists_leave_h: float = 24.0
    #: Fewest on duty for a coordination point to function (<= staff_per_coordination_point).
    min_staff_per_coordination_point: int = 4
    crew_share_for_coordination: float = 0.3
    municipal_staff_per_10k: float = 8.0
    red_cross_per_100k: float = 30.0
    self_mobilisation_h: float | None = None
    min_professionals_per_point: int = 1
    rest_hours: float = 8.0
    spontaneous: Helpers = field(default_factory=Helpers)

    def availability(self, volunteer: bool, local_hour: float) -> float:
        """Chance that a person can come, by kind and local time of day."""
        if not volunteer:
            return self.professional_availability
        day = self.day_start_hour <= local_hour % 24 < self.day_end_hour
        return self.volunteer_availability_day if day else self.volunteer_availability_night


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


@dataclass(frozen=True)
class ServiceParams:
    """How one vital service rides out a grid failure."""

    backup: TimeDist
    restore: TimeDist
    fails_share: float
    recharge_h: float


@dataclass(frozen=True)
class CascadeParams:
    """Cascading effects."""

    services: Mapping[str, ServiceParams]
    operator_generators_share: float
    operator_generators_at: TimeDist


@dataclass(frozen=True)
class PowerParams:
    """Generators at the sites and the mobile pools."""

    load: Mapping[str, float]
    #: kVA -> litres per hour at 25/50/75/100 % load.
    consumption: Mapping[float, tuple[float, float, float, float]]
    start_failure_prob: float
    failure_rate_per_h: float
    repair: TimeDist
    technicians_per_region: Mapping[str, int]
    refuel_threshold: float
    mobile_per_region: Mapping[str, int]
    mobile_kva: float
    mobile_tank_l: float
    mobile_setup_h: float
    mobile_priority: tuple[str, ...]
    #: Fixed tanks hold at least this many hours at full load (None: as in the data).
    min_autonomy_h: float | None = None

    def litres_per_hour(self, kva: float, load: float) -> float:
        """Diesel use, interpolated in the table over load and (linearly) over size."""
        sizes = sorted(self.consumption)
        loads = (0.25, 0.5, 0.75, 1.0)
        per_size = [float(np.interp(load, loads, self.consumption[k])) for k in sizes]
        if kva <= sizes[0]:
            return per_size[0] * kva / sizes[0]
        return float(np.interp(kva, sizes, per_size, right=None)) if kva <= sizes[-1] else (
            per_size[-1] * kva / sizes[-1])


@dataclass(frozen=True)
class OutsideDemand:
    """Fuel requests from outside the model's sites."""

    requests_per_day_per_100k: float
    litres: float


@dataclass(frozen=True)
class FuelParams:
    """Depots and trucks."""

    trucks_per_region: Mapping[str, int]
    depot_municipalities: Mapping[str, str]
    truck_capacity_l: float
    pump_rate_l_per_h: float
    delivery_setup_h: float
    depot_refill_h: float
    priority: tuple[str, ...]
    outside_demand: Mapping[str, OutsideDemand]

    def rank(self, kind: str) -> int:
        """Place of a request kind in the priority list (0 = first)."""
        return self.priority.index(kind)


@dataclass(frozen=True)
class CommsParams:
    """Message channels."""

    phone_h: float
    c2000_h: float
    satellite_h: float
    dares_h: float
    runner_handover_h: float
    satellite_at_coordination_points: bool
    c2000_at_support_points: bool
    dares_regions: tuple[str, ...]
    sitrep_interval_h: float
    meldkamer_municipality: str


@dataclass(frozen=True)
class Params:
    """Every model parameter, validated and immutable."""

    name: str
    seed: int
    horizon_h: float
    results_dir: Path
    geodata: GeodataSpec
    network: NetworkParams
    outage: OutageParams
    stations: StationParams
    support_points: SupportPointParams
    staffing: StaffingParams
    population: PopulationParams
    cascade: CascadeParams
    power: PowerParams
    fuel: FuelParams
    comms: CommsParams

    @property
    def streams(self) -> Streams:
        """The run's named random streams."""
        return Streams(self.seed)


@dataclass(frozen=True)
class Scenario:
    """Validated parameters and the region they run on."""

    params: Params
    region: RegionData

    def affected_codes(self) -> tuple[str, ...]:
        """CBS codes of the municipalities that lose power."""
        codes = _affected(self.params, self.region)
        return tuple(c for c in self.region.municipalities["code"] if c in codes)


# --- the validation step -----------------------------------------------------------------


def prepare(cfg: Mapping[str, Any]) -> Scenario:
    """Validate a config (a plain nested mapping) and load its region; raise every problem."""
    problems = Problems()
    _check_keys(cfg, schema.Config, "", problems)
    c = _Reader(cfg, problems)

    name = c.text("name", pattern=_NAME, allowed="letters, digits, '_', '.', '-'")
    seed = c.integer("seed", lo=0, hi=2**63 - 1)
    horizon = c.number("horizon_h", lo=0, hi=MAX_HOURS, lo_open=True)
    results_dir = c.text("results_dir")

    network = NetworkParams(
        detour_factor=c.number("region.network.detour_factor", lo=1.0, hi=3.0),
        road_speed_kmh=c.number("region.network.road_speed_kmh", lo=0, hi=130, lo_open=True),
        local_speed_kmh=c.number("region.network.local_speed_kmh", lo=0, hi=130, lo_open=True),
        border_tolerance_m=c.number("region.network.border_tolerance_m", lo=0, hi=1000),
        min_shared_border_m=c.number("region.network.min_shared_border_m", lo=0, hi=10_000),
    )
    geodata = _geodata_spec(c)
    outage = _outage(c, horizon)
    stations = StationParams(
        backup_power=c.choice("stations.backup_power", BACKUP_POLICIES),
        backup_power_share=MappingProxyType(c.shares("stations.backup_power_share")),
        generator_kva=c.number("stations.generator_kva", lo=0, hi=5000, lo_open=True),
        tank_l=c.number("stations.tank_l", lo=0, hi=100_000, lo_open=True),
        coordination_points=c.choice("stations.coordination_points", COORDINATION_POLICIES),
        closed_volunteer_posts_share=c.number("stations.closed_volunteer_posts_share", lo=0,
                                              hi=0.9),
        backup_share=None if c.get("stations.backup_share") in (None, c._ABSENT)
        else c.share("stations.backup_share"),
    )
    if stations.backup_share is not None and stations.backup_power in ("all", "none"):
        problems.add("stations.backup_share", stations.backup_share,
                     f"cannot be combined with stations.backup_power={stations.backup_power}: "
                     "leave backup_share null, or use backup_power data or shares")
    support = _support_points(c)
    horizon_ok = 0 < horizon <= MAX_HOURS  # a bad horizon is reported on its own
    if horizon_ok and support.operational_deadline_h > horizon:
        problems.add("support_points.operational_deadline_h", support.operational_deadline_h,
                     f"must not exceed horizon_h ({horizon:g}): the deadline must fall in the run")
    staffing = _staffing(c)
    population = _population(c, outage.start)
    params = Params(
        name=name, seed=seed, horizon_h=horizon, results_dir=Path(results_dir),
        geodata=geodata, network=network, outage=outage, stations=stations,
        support_points=support, staffing=staffing, population=population,
        cascade=_cascade(c), power=_power(c), fuel=_fuel(c), comms=_comms(c),
    )

    region: RegionData | None = None
    if not any(p.field.startswith("region.") for p in problems.items):
        try:
            region = load_region(geodata)
        except Exception as exc:
            from sim.errors import InputError

            if not isinstance(exc, InputError):
                raise
            problems.extend(exc.problems)
    if region is not None:
        _check_against_region(params, region, problems)
    problems.raise_if_any()
    assert region is not None
    region = apply_station_policy(region, stations, geodata.synthesis, params.streams)
    region = apply_support_point_backup(region, support)
    return Scenario(params=params, region=region)


def _check_keys(cfg: object, node: type, prefix: str, problems: Problems) -> None:
    """Reject keys the schema does not know, recursively."""
    if not isinstance(cfg, Mapping):
        problems.add(prefix.rstrip(".") or "<config>", cfg, "must be a mapping")
        return
    hints = get_type_hints(node)
    fields = {f.name for f in dataclasses.fields(node)}
    for key, value in cfg.items():
        if key == "hydra":
            continue
        if key not in fields:
            problems.add(f"{prefix}{key}", value, f"unknown key; allowed keys: {sorted(fields)}")
            continue
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            _check_keys(value, hint, f"{prefix}{key}.", problems)


class _Reader:
    """Typed, range-checked access to a nested mapping; problems are recorded, not raised."""

    def __init__(self, cfg: Mapping[str, Any], problems: Problems) -> None:
        self.cfg = cfg
        self.problems = problems

    _ABSENT = object()

    def get(self, key: str) -> Any:
        node: Any = self.cfg
        for part in key.split("."):
            if isinstance(node, list | tuple) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                return self._ABSENT
        return node

    def _missing(self, key: str, value: Any, allowed: str) -> bool:
        if value is self._ABSENT or value == "???":
            self.problems.add(key, None, f"is required ({allowed})")
            return True
        return False

    def number(self, key: str, lo: float = -np.inf, hi: float = np.inf,
               lo_open: bool = False) -> float:
        value = self.get(key)
        allowed = f"a number {'>' if lo_open else '>='} {lo:g} and <= {hi:g}"
        if self._missing(key, value, allowed):
            return float("nan")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(key, value, f"must be {allowed}")
            return float("nan")
        x = float(value)
        if not np.isfinite(x) or x > hi or x < lo or (lo_open and x == lo):
            self.problems.add(key, value, f"must be {allowed}")
        return x

    def optional_number(self, key: str, lo: float, hi: float,
                        lo_open: bool = False) -> float | None:
        value = self.get(key)
        if value is None or value is self._ABSENT:
            return None
        return self.number(key, lo=lo, hi=hi, lo_open=lo_open)

    def integer(self, key: str, lo: int, hi: int) -> int:
        value = self.get(key)
        allowed = f"a whole number from {lo} to {hi}"
        if self._missing(key, value, allowed):
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.problems.add(key, value, f"must be {allowed}")
            return 0
        return int(value)

    def share(self, key: str) -> float:
        return self.number(key, lo=0.0, hi=1.0)

    def shares(self, key: str) -> dict[str, float]:
        value = self.get(key)
        if value is None or value is self._ABSENT:
            return {}
        if not isinstance(value, Mapping):
            self.problems.add(key, value, "must be a mapping of safety region to share")
            return {}
        return {str(k): self.share(f"{key}.{k}") for k in value}

    def mapping(self, key: str, read: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
        """A mapping whose values are read by ``read(full_key)``; ``required`` keys must exist."""
        value = self.get(key)
        if not isinstance(value, Mapping):
            self.problems.add(key, value, "must be a mapping")
            return {}
        for name in required:
            if name not in value:
                self.problems.add(f"{key}.{name}", None, f"is required; {key} needs "
                                  f"{list(required)}")
        return {str(k): read(f"{key}.{k}") for k in value}

    def text(self, key: str, pattern: re.Pattern[str] | None = None, allowed: str = "") -> str:
        value = self.get(key)
        if self._missing(key, value, "a non-empty text"):
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.add(key, value, "must be a non-empty text")
            return ""
        if pattern is not None and not pattern.match(value):
            self.problems.add(key, value, f"may only contain {allowed}")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None or value is self._ABSENT:
            return None
        return self.text(key)

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.get(key)
        if self._missing(key, value, f"one of {list(options)}"):
            return ""
        if value not in options:
            self.problems.add(key, value, f"must be one of {list(options)}")
        return str(value)

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if self._missing(key, value, "true or false"):
            return False
        if not isinstance(value, bool):
            self.problems.add(key, value, "must be true or false")
            return False
        return value

    def codes(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if value is None or value is self._ABSENT:
            return ()
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.problems.add(key, value, "must be a list of texts")
            return ()
        return tuple(str(v) for v in value)


def _geodata_spec(c: _Reader) -> GeodataSpec:
    sources: dict[str, LayerSource] = {}
    for layer in LAYER_NAMES:
        base = f"region.layers.{layer}"
        path = c.optional_text(f"{base}.path")
        columns = c.get(f"{base}.columns")
        if columns is c._ABSENT or columns is None:
            columns = {}
        if not isinstance(columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            c.problems.add(f"{base}.columns", columns,
                           "must map source column names to canonical column names")
            columns = {}
        sources[layer] = LayerSource(
            path=Path(path).expanduser() if path else None,
            layer=c.optional_text(f"{base}.layer"),
            crs=c.optional_text(f"{base}.crs"),
            columns=MappingProxyType(dict(columns)),
        )
    gpkg = c.optional_text("region.geopackage")
    table = c.optional_text("region.municipality_table")
    return GeodataSpec(
        geopackage=Path(gpkg).expanduser() if gpkg else EMBEDDED_GEOPACKAGE,
        sources=MappingProxyType(sources),
        municipality_table=Path(table).expanduser() if table else EMBEDDED_SOURCE_TABLE,
        select_codes=c.codes("region.select.codes"),
        select_regions=c.codes("region.select.regions"),
        snap_tolerance_m=c.number("region.snap_tolerance_m", lo=0, hi=5000),
        repair_geometries=c.flag("region.repair_geometries"),
        synthesis=BuildSettings(),
    )


def _time_dist(c: _Reader, key: str, lo: float = 0.0, hi: float = MAX_HOURS,
               positive: bool = False) -> TimeDist:
    """A fixed or drawn time in hours at ``key``, with its cross-field rules."""
    kind = c.choice(f"{key}.distribution", DURATION_KINDS)
    hours = c.optional_number(f"{key}.hours", lo=lo, hi=hi, lo_open=positive)
    low = c.optional_number(f"{key}.low", lo=lo, hi=hi)
    high = c.optional_number(f"{key}.high", lo=lo, hi=hi)
    mode = c.optional_number(f"{key}.mode", lo=lo, hi=hi)
    if kind == "fixed":
        if hours is None:
            c.problems.add(f"{key}.hours", None, "a fixed time needs hours")
        for name, v in (("low", low), ("high", high), ("mode", mode)):
            if v is not None:
                c.problems.add(f"{key}.{name}", v, "is only used by uniform or triangular "
                               "times; set it to null for a fixed time")
    elif kind in DURATION_KINDS:
        if low is None or high is None:
            c.problems.add(f"{key}.low/high", [low, high],
                           f"a {kind} time needs both low and high (hours)")
        elif not low < high or (positive and low <= 0):
            c.problems.add(f"{key}.low/high", [low, high],
                           f"must satisfy {'0 < ' if positive else ''}low < high")
        if kind == "triangular":
            if mode is None:
                c.problems.add(f"{key}.mode", None, "a triangular time needs a mode (hours)")
            elif low is not None and high is not None and not low <= mode <= high:
                c.problems.add(f"{key}.mode", mode,
                               f"must lie between low ({low:g}) and high ({high:g})")
        elif mode is not None:
            c.problems.add(f"{key}.mode", mode, "is only used by a triangular time; set null")
    # ``hours`` is ignored by drawn times (the defaults set it for the fixed case).
    return TimeDist(kind, hours if kind == "fixed" else None, low, high, mode)


def _outage(c: _Reader, horizon: float) -> OutageParams:
    raw_start = c.text("outage.start")
    start = datetime(2026, 1, 15, 17)
    if raw_start:
        try:
            start = datetime.fromisoformat(raw_start)
        except ValueError:
            c.problems.add("outage.start", raw_start,
                           "must be a local date and time in ISO format, e.g. 2026-01-15T17:00")
    duration = _time_dist(c, "outage.duration", positive=True)
    waves_raw = c.get("outage.waves")
    waves: list[Wave] = []
    if isinstance(waves_raw, list | tuple):
        for i, _ in enumerate(waves_raw):
            key = f"outage.waves.{i}"
            share = c.get(f"{key}.share")
            waves.append(Wave(
                regions=c.codes(f"{key}.regions"),
                municipalities=c.codes(f"{key}.municipalities"),
                share=None if share is None or share is c._ABSENT else c.share(f"{key}.share"),
                after=_time_dist(c, f"{key}.after"),
            ))
            w = waves[-1]
            if w.share is not None and (w.regions or w.municipalities):
                c.problems.add(f"{key}.share", w.share, "give either a share or lists of "
                               "regions/municipalities, not both")
    elif waves_raw is not c._ABSENT and waves_raw is not None:
        c.problems.add("outage.waves", waves_raw, "must be a list of waves")
    rotating = Rotating(
        enabled=c.flag("outage.rotating.enabled"),
        on_h=c.number("outage.rotating.on_h", lo=0, hi=48, lo_open=True),
        off_h=c.number("outage.rotating.off_h", lo=0, hi=48, lo_open=True),
    )
    if rotating.enabled and len(waves) < 2:
        c.problems.add("outage.rotating.enabled", True, "rotating supply runs between "
                       f"restoration waves; configure at least two outage.waves "
                       f"(there are {len(waves)})")
    return OutageParams(
        start=start,
        duration=duration,
        affected_regions=c.codes("outage.affected.regions"),
        affected_municipalities=c.codes("outage.affected.municipalities"),
        waves=tuple(waves),
        rotating=rotating,
    )


POLICIES = ("all", "phased", "priority")
TRIGGERS = ("automatic", "order")


def _support_points(c: _Reader) -> SupportPointParams:
    k = "support_points"
    policy = c.choice(f"{k}.activation.policy", POLICIES)
    phases: list[Phase] = []
    raw = c.get(f"{k}.activation.phases")
    if isinstance(raw, list | tuple):
        for i, _ in enumerate(raw):
            key = f"{k}.activation.phases.{i}"
            phases.append(Phase(share=c.number(f"{key}.share", lo=0, hi=1, lo_open=True),
                                at_h=c.number(f"{key}.at_h", lo=0, hi=MAX_HOURS)))
    if policy == "phased":
        total = sum(p.share for p in phases)
        if not phases or abs(total - 1.0) > 1e-6:
            c.problems.add(f"{k}.activation.phases", [(p.share, p.at_h) for p in phases],
                           "a phased policy needs phases whose shares add up to 1")
    elif phases:
        c.problems.add(f"{k}.activation.phases", len(phases),
                       "phases are only used by the phased policy; set phases: []")
    priority = c.get(f"{k}.activation.priority")
    priority = tuple(str(x) for x in priority) if isinstance(priority, list | tuple) else ()
    if policy == "priority" and not priority:
        c.problems.add(f"{k}.activation.priority", list(priority),
                       "the priority policy needs a list of site types or site ids, e.g. "
                       "[community_centre, sports_hall]")
    per_m = c.get(f"{k}.activation.per_municipality")
    per_municipality = None if per_m in (None, c._ABSENT) else c.integer(
        f"{k}.activation.per_municipality", lo=1, hi=10_000)
    step = c.get(f"{k}.activation.step_h")
    step_h = 0.0 if step in (None, c._ABSENT) else c.number(f"{k}.activation.step_h", lo=0,
                                                            hi=MAX_HOURS)
    return SupportPointParams(
        priority=priority,
        per_municipality=per_municipality,
        step_h=step_h,
        operational_deadline_h=c.number(f"{k}.operational_deadline_h", lo=0, hi=MAX_HOURS,
                                        lo_open=True),
        policy=policy,
        phases=tuple(phases),
        trigger=c.choice(f"{k}.activation.trigger", TRIGGERS),
        auto_trigger_h=c.number(f"{k}.activation.auto_trigger_h", lo=0, hi=MAX_HOURS),
        decision=_time_dist(c, f"{k}.activation.decision"),
        key_holder=_time_dist(c, f"{k}.key_holder"),
        setup=_time_dist(c, f"{k}.setup"),
        supplies_loading_h=c.number(f"{k}.supplies_loading_h", lo=0, hi=48),
        nafase_h=c.number(f"{k}.nafase_h", lo=0, hi=MAX_HOURS),
        backup_power=c.choice(f"{k}.backup_power", ("data", "all", "none")),
        generator_kva=c.number(f"{k}.generator_kva", lo=0, hi=5000, lo_open=True),
        tank_l=c.number(f"{k}.tank_l", lo=0, hi=100_000, lo_open=True),
        supplies=Supplies(
            water_l=c.number(f"{k}.supplies.water_l", lo=0, hi=1e7),
            food_rations=c.number(f"{k}.supplies.food_rations", lo=0, hi=1e7),
            blankets=c.number(f"{k}.supplies.blankets", lo=0, hi=1e6),
            reorder_share=c.share(f"{k}.supplies.reorder_share"),
            regional_water_l_per_1000=c.number(f"{k}.supplies.regional_water_l_per_1000",
                                               lo=0, hi=1e6),
            regional_food_rations_per_1000=c.number(
                f"{k}.supplies.regional_food_rations_per_1000", lo=0, hi=1e6),
            regional_blankets_per_1000=c.number(f"{k}.supplies.regional_blankets_per_1000",
                                                lo=0, hi=1e6),
            close_when_out=c.flag(f"{k}.supplies.close_when_out"),
        ),
    )


def _population(c: _Reader, start: datetime) -> PopulationParams:
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
                time_to_harm=_time_dist(c, f"{g}.time_to_harm"),
                can_travel_share=c.share(f"{g}.can_travel_share"),
                neighbour_help_share=c.share(f"{g}.neighbour_help_share"),
                neighbour_delay=_time_dist(c, f"{g}.neighbour_delay"),
                priority=c.integer(f"{g}.priority", lo=0, hi=1000),
            ))
    elif raw is not c._ABSENT and raw is not None:
        c.problems.add(f"{k}.vulnerable", raw, "must be a mapping of subgroup name to settings")
    o = f"{k}.outreach"
    outreach = Outreach(
        registry=c.flag(f"{o}.registry"),
        registry_coverage=c.share(f"{o}.registry_coverage"),
        known_without_registry=_time_dist(c, f"{o}.known_without_registry"),
        staff_share=c.number(f"{o}.staff_share", lo=0, hi=1),
        team_size=c.integer(f"{o}.team_size", lo=1, hi=20),
        visit_h=c.number(f"{o}.visit_h", lo=0, hi=24, lo_open=True),
        speed_kmh=c.number(f"{o}.speed_kmh", lo=0, hi=130, lo_open=True),
        max_distance_km=c.number(f"{o}.max_distance_km", lo=0, hi=100),
    )
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
    )


def _staffing(c: _Reader) -> StaffingParams:
    k = "staffing"
    day_start = c.integer(f"{k}.day_start_hour", lo=0, hi=23)
    day_end = c.integer(f"{k}.day_end_hour", lo=1, hi=24)
    if day_end <= day_start:
        c.problems.add(f"{k}.day_end_hour", day_end,
                       f"must be later than day_start_hour ({day_start})")
    mobilise = c.get(f"{k}.self_mobilisation_h")
    staff_min = c.integer(f"{k}.min_staff_per_point", lo=1, hi=1000)
    pros = c.integer(f"{k}.min_professionals_per_point", lo=0, hi=1000)
    if pros > staff_min:
        c.problems.add(f"{k}.min_professionals_per_point", pros,
                       f"must not exceed min_staff_per_point ({staff_min})")
    cp_min = c.integer(f"{k}.min_staff_per_coordination_point", lo=1, hi=1000)
    cp_target = c.get(f"{k}.staff_per_coordination_point")
    if isinstance(cp_target, int) and not isinstance(cp_target, bool) and cp_target < cp_min:
        c.problems.add(f"{k}.staff_per_coordination_point", cp_target,
                       f"must be at least min_staff_per_coordination_point ({cp_min})")
    target = c.integer(f"{k}.staff_per_point", lo=1, hi=1000)
    if target < staff_min:
        c.problems.add(f"{k}.staff_per_point", target,
                       f"must be at least min_staff_per_point ({staff_min})")
    return StaffingParams(
        volunteer_availability_day=c.share(f"{k}.volunteer_availability_day"),
        volunteer_availability_night=c.share(f"{k}.volunteer_availability_night"),
        reservist_share=c.share(f"{k}.reservist_share"),
        min_staff_per_point=staff_min,
        staff_per_point=target,
        min_staff_per_coordination_point=cp_min,
        staff_per_coordination_point=c.integer(f"{k}.staff_per_coordination_point", lo=1,
                                               hi=1000),
        shift_hours=c.number(f"{k}.shift_hours", lo=0, hi=24, lo_open=True),
        professional_availability=c.share(f"{k}.professional_availability"),
        day_start_hour=day_start,
        day_end_hour=day_end,
        reservists_leave_h=c.number(f"{k}.reservists_leave_h", lo=0, hi=MAX_HOURS),
        crew_share_for_coordination=c.share(f"{k}.crew_share_for_coordination"),
        municipal_staff_per_10k=c.number(f"{k}.municipal_staff_per_10k", lo=0, hi=10_000),
        red_cross_per_100k=c.number(f"{k}.red_cross_per_100k", lo=0, hi=100_000),
        self_mobilisation_h=None if mobilise in (None, c._ABSENT)
        else c.number(f"{k}.self_mobilisation_h", lo=0, hi=MAX_HOURS),
        min_professionals_per_point=pros,
        rest_hours=c.number(f"{k}.rest_hours", lo=0, hi=48),
        spontaneous=Helpers(
            per_point_day=c.number(f"{k}.spontaneous.per_point_day", lo=0, hi=10_000),
            register_h=c.number(f"{k}.spontaneous.register_h", lo=0, hi=8),
            stay_h=c.number(f"{k}.spontaneous.stay_h", lo=0, hi=48),
            per_staff=c.number(f"{k}.spontaneous.per_staff", lo=0, hi=100),
        ),
    )


def _cascade(c: _Reader) -> CascadeParams:
    from sim.model.cascade import SERVICES

    services = {}
    for name in SERVICES:
        key = f"cascade.{name}"
        services[name] = ServiceParams(
            backup=_time_dist(c, f"{key}.backup"),
            restore=_time_dist(c, f"{key}.restore"),
            fails_share=c.share(f"{key}.fails_share"),
            recharge_h=c.number(f"{key}.recharge_h", lo=0, hi=MAX_HOURS),
        )
    return CascadeParams(
        services=MappingProxyType(services),
        operator_generators_share=c.share("cascade.operator_generators_share"),
        operator_generators_at=_time_dist(c, "cascade.operator_generators_at"),
    )


SITE_KINDS = ("coordination_point", "support_point")
FUEL_SITE_KINDS = ("coordination_point", "fire_station", "support_point")
LOAD_KINDS = ("fire_station", "support_point")


def _power(c: _Reader) -> PowerParams:
    load = c.mapping("power.load", lambda k: c.share(k), required=LOAD_KINDS)
    for kind, share in load.items():
        if share <= 0:
            c.problems.add(f"power.load.{kind}", share, "must be a share > 0 and <= 1")
    table: dict[float, tuple[float, float, float, float]] = {}
    raw = c.get("power.consumption_l_per_h")
    if not isinstance(raw, Mapping) or not raw:
        c.problems.add("power.consumption_l_per_h", raw,
                       "must map a generator size in kVA to 4 litres-per-hour values")
    else:
        for size, values in raw.items():
            key = f"power.consumption_l_per_h.{size}"
            try:
                kva = float(size)
            except ValueError:
                c.problems.add(key, size, "keys must be generator sizes in kVA")
                continue
            ok = (isinstance(values, list | tuple) and len(values) == 4
                  and all(isinstance(v, int | float) and v > 0 for v in values)
                  and list(values) == sorted(values))
            if not ok or kva <= 0:
                c.problems.add(key, values, "must be 4 increasing litres-per-hour values > 0 "
                               "(at 25, 50, 75 and 100 % load)")
                continue
            table[kva] = (float(values[0]), float(values[1]), float(values[2]), float(values[3]))
    priority = c.codes("power.mobile.priority")
    bad = [p for p in priority if p not in SITE_KINDS]
    if bad or len(set(priority)) != len(priority) or not priority:
        c.problems.add("power.mobile.priority", list(priority),
                       f"must list site kinds once each, from {list(SITE_KINDS)}")
    return PowerParams(
        load=MappingProxyType(load),
        consumption=MappingProxyType(table),
        start_failure_prob=c.share("power.fixed.start_failure_prob"),
        failure_rate_per_h=c.number("power.fixed.failure_rate_per_h", lo=0, hi=10),
        repair=_time_dist(c, "power.fixed.repair"),
        technicians_per_region=MappingProxyType(
            c.mapping("power.fixed.technicians_per_region", lambda k: c.integer(k, 0, 1000))),
        refuel_threshold=c.number("power.fixed.refuel_threshold", lo=0, hi=1, lo_open=True),
        min_autonomy_h=None if c.get("power.fixed.min_autonomy_h") in (None, c._ABSENT)
        else c.number("power.fixed.min_autonomy_h", lo=0, hi=MAX_HOURS, lo_open=True),
        mobile_per_region=MappingProxyType(
            c.mapping("power.mobile.per_region", lambda k: c.integer(k, 0, 1000))),
        mobile_kva=c.number("power.mobile.kva", lo=0, hi=5000, lo_open=True),
        mobile_tank_l=c.number("power.mobile.tank_l", lo=0, hi=100_000, lo_open=True),
        mobile_setup_h=c.number("power.mobile.setup_h", lo=0, hi=48),
        mobile_priority=tuple(priority),
    )


def _fuel(c: _Reader) -> FuelParams:
    outside: dict[str, OutsideDemand] = {}
    raw = c.get("fuel.outside_demand")
    if isinstance(raw, Mapping):
        for kind in raw:
            key = f"fuel.outside_demand.{kind}"
            outside[str(kind)] = OutsideDemand(
                requests_per_day_per_100k=c.number(f"{key}.requests_per_day_per_100k",
                                                   lo=0, hi=10_000),
                litres=c.number(f"{key}.litres", lo=0, hi=100_000, lo_open=True),
            )
    elif raw is not None and raw is not c._ABSENT:
        c.problems.add("fuel.outside_demand", raw, "must map a kind to its demand")
    kinds = (*outside, *FUEL_SITE_KINDS)
    priority = c.codes("fuel.priority")
    unknown = [p for p in priority if p not in kinds]
    if unknown:
        c.problems.add("fuel.priority", unknown, f"unknown request kinds; allowed: {list(kinds)} "
                       "(the outside_demand kinds and the site kinds)")
    missing = [k for k in kinds if k not in priority]
    twice = sorted({p for p in priority if priority.count(p) > 1})
    if missing or twice:
        c.problems.add("fuel.priority", list(priority),
                       f"must name every request kind exactly once; missing {missing}, "
                       f"named twice {twice}")
    return FuelParams(
        trucks_per_region=MappingProxyType(
            c.mapping("fuel.trucks_per_region", lambda k: c.integer(k, 0, 1000))),
        depot_municipalities=MappingProxyType(
            c.mapping("fuel.depot_municipalities", lambda k: c.text(k))
            if c.get("fuel.depot_municipalities") not in (None, c._ABSENT) else {}),
        truck_capacity_l=c.number("fuel.truck_capacity_l", lo=0, hi=100_000, lo_open=True),
        pump_rate_l_per_h=c.number("fuel.pump_rate_l_per_h", lo=0, hi=1e6, lo_open=True),
        delivery_setup_h=c.number("fuel.delivery_setup_h", lo=0, hi=24),
        depot_refill_h=c.number("fuel.depot_refill_h", lo=0, hi=48),
        priority=tuple(priority),
        outside_demand=MappingProxyType(outside),
    )


def _comms(c: _Reader) -> CommsParams:
    def hop(key: str) -> float:
        return c.number(key, lo=0.0, hi=48.0, lo_open=True)

    return CommsParams(
        phone_h=hop("comms.phone_h"),
        c2000_h=hop("comms.c2000_h"),
        satellite_h=hop("comms.satellite_h"),
        dares_h=hop("comms.dares_h"),
        runner_handover_h=c.number("comms.runner_handover_h", lo=0, hi=48),
        satellite_at_coordination_points=c.flag("comms.satellite_at_coordination_points"),
        c2000_at_support_points=c.flag("comms.c2000_at_support_points"),
        dares_regions=c.codes("comms.dares_regions"),
        sitrep_interval_h=c.number("comms.sitrep_interval_h", lo=0, hi=MAX_HOURS, lo_open=True),
        meldkamer_municipality=c.text("comms.meldkamer_municipality"),
    )


def _check_fuel_supply(params: Params, region: RegionData, problems: Problems) -> None:
    """Zero trucks where something needs fuel is a contradiction."""
    affected = _affected(params, region)
    fs = region.fire_stations
    sp = region.support_point_candidates
    outside = any(d.requests_per_day_per_100k > 0 for d in params.fuel.outside_demand.values())
    backup_everywhere = params.stations.backup_power == "all"
    for name in sorted(set(region.municipalities["region"])):
        codes = set(region.municipalities.loc[region.municipalities["region"] == name, "code"])
        if not codes & affected or params.fuel.trucks_per_region.get(name, 1) > 0:
            continue
        generators = (
            backup_everywhere
            or bool(fs.loc[fs["municipality"].isin(codes), "has_backup_power"].any())
            or bool(sp.loc[sp["municipality"].isin(codes), "has_backup_power"].any())
            or params.power.mobile_per_region.get(name, 0) > 0
        )
        if generators or outside:
            what = "generators there" if generators else "outside fuel demand"
            problems.add(f"fuel.trucks_per_region.{name}", 0,
                         f"the region has {what} that need fuel during the outage; "
                         "allowed: at least 1 truck (or no generators and no outside demand)")


def _affected(params: Params, region: RegionData) -> set[str]:
    o = params.outage
    m = region.municipalities
    if not o.affected_regions and not o.affected_municipalities:
        return set(m["code"])
    return set(m.loc[m["region"].isin(o.affected_regions)
                     | m["code"].isin(o.affected_municipalities), "code"])


def _check_against_region(params: Params, region: RegionData, problems: Problems) -> None:
    """Rules that need the loaded region: names of regions and municipalities."""
    regions = set(region.municipalities["region"])
    codes = set(region.municipalities["code"])
    sp = region.support_point_candidates
    known = set(sp["type"].astype(str)) | set(sp["id"].astype(str))
    bad = [x for x in params.support_points.priority if x not in known]
    if bad:
        problems.add("support_points.activation.priority", bad,
                     f"each entry must be a site type ({sorted(set(sp['type'].astype(str)))}) "
                     "or a candidate site id")
    region_of = dict(zip(region.municipalities["code"], region.municipalities["region"],
                         strict=True))
    bad = sorted(set(params.outage.affected_regions) - regions)
    if bad:
        problems.add("outage.affected.regions", bad, f"must be among the selected regions "
                     f"{sorted(regions)}")
    bad = sorted(set(params.outage.affected_municipalities) - codes)
    if bad:
        problems.add("outage.affected.municipalities", bad[:10],
                     "must be CBS codes of selected municipalities")
    all_regions = set(params.geodata.synthesis.backup_power_share) | regions
    bad = sorted(set(params.stations.backup_power_share) - all_regions)
    if bad:
        problems.add("stations.backup_power_share", bad,
                     f"keys must be safety regions, one of {sorted(all_regions)}")
    for key, per_region in (
        ("power.fixed.technicians_per_region", params.power.technicians_per_region),
        ("power.mobile.per_region", params.power.mobile_per_region),
        ("fuel.trucks_per_region", params.fuel.trucks_per_region),
    ):
        unknown = sorted(set(per_region) - all_regions)
        if unknown:
            problems.add(key, unknown, f"keys must be safety regions, one of {sorted(all_regions)}")
        missing = sorted(regions - set(per_region))
        if missing:
            problems.add(key, dict(per_region), f"needs a value for the regions {missing}")
    bad = sorted(set(params.comms.dares_regions) - all_regions)
    if bad:
        problems.add("comms.dares_regions", bad, f"must be safety regions, one of "
                     f"{sorted(all_regions)}")
    context = region.context_municipalities
    known = set((context if context is not None else region.municipalities)["code"])
    if params.comms.meldkamer_municipality not in known:
        problems.add("comms.meldkamer_municipality", params.comms.meldkamer_municipality,
                     "must be the CBS code of a loaded municipality (selected or not)")
    _check_fuel_supply(params, region, problems)
    breakdowns = (params.power.failure_rate_per_h > 0 or params.power.start_failure_prob > 0)
    for name in sorted(regions):
        if breakdowns and params.power.technicians_per_region.get(name, 1) == 0:
            problems.add(f"power.fixed.technicians_per_region.{name}", 0,
                         "generators can break down (failure rates > 0) but nobody could "
                         "repair them; allowed: at least 1 technician, or set both "
                         "power.fixed failure rates to 0")
    for name, code in params.fuel.depot_municipalities.items():
        key = f"fuel.depot_municipalities.{name}"
        if name not in all_regions:
            problems.add(key, code, f"the key must be a safety region: {sorted(all_regions)}")
        elif name in regions and (code not in codes or region_of.get(code) != name):
            problems.add(key, code, f"must be the CBS code of a selected municipality in {name}")
    if params.stations.backup_power == "shares":
        missing = sorted(regions - set(params.stations.backup_power_share)
                         - set(params.geodata.synthesis.backup_power_share))
        if missing:
            problems.add("stations.backup_power_share", dict(params.stations.backup_power_share),
                         f"needs a share for regions {missing} when backup_power=shares")
