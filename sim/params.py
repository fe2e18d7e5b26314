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
from dataclasses import dataclass
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
from sim.stations import BACKUP_POLICIES, COORDINATION_POLICIES, apply_station_policy
from sim.streams import Streams

#: Longest horizon (and outage) accepted, in hours: four weeks.
MAX_HOURS = 28 * 24.0
DURATION_KINDS = ("fixed", "uniform", "triangular")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Duration:
    """Outage duration in hours: fixed, or drawn from a distribution."""

    distribution: str
    hours: float
    low: float | None = None
    high: float | None = None
    mode: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """The duration of one run."""
        if self.distribution == "fixed":
            return self.hours
        assert self.low is not None and self.high is not None
        if self.distribution == "uniform":
            return float(rng.uniform(self.low, self.high))
        assert self.mode is not None
        return float(rng.triangular(self.low, self.mode, self.high))


@dataclass(frozen=True)
class OutageParams:
    """When and where the power goes out."""

    start: datetime
    duration: Duration
    affected_regions: tuple[str, ...]
    affected_municipalities: tuple[str, ...]


@dataclass(frozen=True)
class StationParams:
    """Backup-power and coordination-point policy for fire stations."""

    backup_power: str
    backup_power_share: Mapping[str, float]
    generator_kva: float
    tank_l: float
    coordination_points: str


@dataclass(frozen=True)
class SupportPointParams:
    """Local support points."""

    residents_per_point: int
    operational_deadline_h: float
    access_distance_km: float


@dataclass(frozen=True)
class StaffingParams:
    """Staff pools."""

    volunteer_availability_day: float
    volunteer_availability_night: float
    reservist_share: float
    min_staff_per_point: int
    staff_per_coordination_point: int
    shift_hours: float


@dataclass(frozen=True)
class PopulationParams:
    """Residents' preparedness."""

    reduced_self_reliance_share: float
    emergency_kit_share: float
    living_alone_share: float
    water_l_per_person_day: float


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
        o = self.params.outage
        m = self.region.municipalities
        if not o.affected_regions and not o.affected_municipalities:
            return tuple(m["code"])
        hit = m["region"].isin(o.affected_regions) | m["code"].isin(o.affected_municipalities)
        return tuple(m.loc[hit, "code"])


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
    )
    support = SupportPointParams(
        residents_per_point=c.integer("support_points.residents_per_point", lo=100, hi=1_000_000),
        operational_deadline_h=c.number(
            "support_points.operational_deadline_h", lo=0, hi=MAX_HOURS, lo_open=True
        ),
        access_distance_km=c.number(
            "support_points.access_distance_km", lo=0, hi=50, lo_open=True
        ),
    )
    if horizon == horizon and support.operational_deadline_h > horizon:
        problems.add("support_points.operational_deadline_h", support.operational_deadline_h,
                     f"must not exceed horizon_h ({horizon:g}): the deadline must fall in the run")
    staffing = StaffingParams(
        volunteer_availability_day=c.share("staffing.volunteer_availability_day"),
        volunteer_availability_night=c.share("staffing.volunteer_availability_night"),
        reservist_share=c.share("staffing.reservist_share"),
        min_staff_per_point=c.integer("staffing.min_staff_per_point", lo=1, hi=1000),
        staff_per_coordination_point=c.integer(
            "staffing.staff_per_coordination_point", lo=1, hi=1000
        ),
        shift_hours=c.number("staffing.shift_hours", lo=0, hi=24, lo_open=True),
    )
    population = PopulationParams(
        reduced_self_reliance_share=c.share("population.reduced_self_reliance_share"),
        emergency_kit_share=c.share("population.emergency_kit_share"),
        living_alone_share=c.share("population.living_alone_share"),
        water_l_per_person_day=c.number(
            "population.water_l_per_person_day", lo=0, hi=100, lo_open=True
        ),
    )
    params = Params(
        name=name, seed=seed, horizon_h=horizon, results_dir=Path(results_dir),
        geodata=geodata, network=network, outage=outage, stations=stations,
        support_points=support, staffing=staffing, population=population,
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
            if not isinstance(node, Mapping) or part not in node:
                return self._ABSENT
            node = node[part]
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

    def optional_number(self, key: str, lo: float, hi: float) -> float | None:
        value = self.get(key)
        if value is None or value is self._ABSENT:
            return None
        return self.number(key, lo=lo, hi=hi)

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


def _outage(c: _Reader, horizon: float) -> OutageParams:
    raw_start = c.text("outage.start")
    start = datetime(2026, 1, 15, 17)
    if raw_start:
        try:
            start = datetime.fromisoformat(raw_start)
        except ValueError:
            c.problems.add("outage.start", raw_start,
                           "must be a local date and time in ISO format, e.g. 2026-01-15T17:00")
    kind = c.choice("outage.duration.distribution", DURATION_KINDS)
    d = "outage.duration"
    hours = c.number(f"{d}.hours", lo=0, hi=MAX_HOURS, lo_open=True)
    low = c.optional_number(f"{d}.low", lo=0, hi=MAX_HOURS)
    high = c.optional_number(f"{d}.high", lo=0, hi=MAX_HOURS)
    mode = c.optional_number(f"{d}.mode", lo=0, hi=MAX_HOURS)
    if kind == "fixed":
        for key, v in (("low", low), ("high", high), ("mode", mode)):
            if v is not None:
                c.problems.add(f"{d}.{key}", v, "is only used by uniform or triangular "
                               "durations; set it to null for a fixed duration")
    else:
        if low is None or high is None:
            c.problems.add(f"{d}.low/high", [low, high],
                           f"a {kind} duration needs both low and high (hours)")
        elif not 0 < low < high:
            c.problems.add(f"{d}.low/high", [low, high], "must satisfy 0 < low < high")
        if kind == "triangular":
            if mode is None:
                c.problems.add(f"{d}.mode", None, "a triangular duration needs a mode (hours)")
            elif low is not None and high is not None and not low <= mode <= high:
                c.problems.add(f"{d}.mode", mode, f"must lie between low ({low:g}) and "
                               f"high ({high:g})")
        elif mode is not None:
            c.problems.add(f"{d}.mode", mode, "is only used by a triangular duration; set null")
    return OutageParams(
        start=start,
        duration=Duration(kind, hours, low, high, mode),
        affected_regions=c.codes("outage.affected.regions"),
        affected_municipalities=c.codes("outage.affected.municipalities"),
    )


def _check_against_region(params: Params, region: RegionData, problems: Problems) -> None:
    """Rules that need the loaded region: names of regions and municipalities."""
    regions = set(region.municipalities["region"])
    codes = set(region.municipalities["code"])
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
    if params.stations.backup_power == "shares":
        missing = sorted(regions - set(params.stations.backup_power_share)
                         - set(params.geodata.synthesis.backup_power_share))
        if missing:
            problems.add("stations.backup_power_share", dict(params.stations.backup_power_share),
                         f"needs a share for regions {missing} when backup_power=shares")
