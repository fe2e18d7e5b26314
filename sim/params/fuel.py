"""Parameters of the fuel depots, trucks and outside demand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sim.params.reader import Reader

FUEL_SITE_KINDS = ("coordination_point", "fire_station", "support_point")


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


def read_fuel(c: Reader) -> FuelParams:
    """The ``fuel`` group, with the rule that the priority names every request kind once."""
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
    elif raw is not None and raw is not c.ABSENT:
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
            if c.get("fuel.depot_municipalities") not in (None, c.ABSENT) else {}),
        truck_capacity_l=c.number("fuel.truck_capacity_l", lo=0, hi=100_000, lo_open=True),
        pump_rate_l_per_h=c.number("fuel.pump_rate_l_per_h", lo=0, hi=1e6, lo_open=True),
        delivery_setup_h=c.number("fuel.delivery_setup_h", lo=0, hi=24),
        depot_refill_h=c.number("fuel.depot_refill_h", lo=0, hi=48),
        priority=tuple(priority),
        outside_demand=MappingProxyType(outside),
    )
