"""Parameters of the cascading effects on vital services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sim.params.reader import MAX_HOURS, Reader
from sim.params.timedist import TimeDist, read_time_dist

#: The services, in a fixed order (names used in config, records and outputs).
SERVICES: tuple[str, ...] = (
    "mobile", "fixed_network", "c2000", "water_pressure", "heating", "payment",
)


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


def read_cascade(c: Reader) -> CascadeParams:
    """The ``cascade`` group: how each vital service rides out a grid failure."""
    services = {}
    for name in SERVICES:
        key = f"cascade.{name}"
        services[name] = ServiceParams(
            backup=read_time_dist(c, f"{key}.backup"),
            restore=read_time_dist(c, f"{key}.restore"),
            fails_share=c.share(f"{key}.fails_share"),
            recharge_h=c.number(f"{key}.recharge_h", lo=0, hi=MAX_HOURS),
        )
    return CascadeParams(
        services=MappingProxyType(services),
        operator_generators_share=c.share("cascade.operator_generators_share"),
        operator_generators_at=read_time_dist(c, "cascade.operator_generators_at"),
    )
