"""Parameters of the fire stations: backup power and which are coordination points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sim.params.reader import MAX_HOURS, Reader

#: Which stations have backup power: as in the data, redrawn per region, all, none.
BACKUP_POLICIES = ("data", "shares", "all", "none")
#: Which stations are coordination points: as in the data, or backup power first.
COORDINATION_POLICIES = ("data", "prefer_backup")


@dataclass(frozen=True)
class StationParams:
    """Backup-power and coordination-point policy for fire stations."""

    backup_power: str
    backup_power_share: Mapping[str, float]
    generator_kva: float
    #: Hours at full load the tank of a station that gains backup power holds.
    autonomy_h: float
    coordination_points: str
    #: Share of all stations closed by budget cuts, taken from volunteer posts.
    closed_volunteer_posts_share: float = 0.0
    #: One backup-power share for every region (redrawn as with ``shares``); None: unused.
    backup_share: float | None = None
    #: Litres of that tank: ``autonomy_h`` at the generator's full-load consumption
    #: (derived once the power settings are read; ``sim.params.validate``).
    tank_l: float = 0.0
    #: Station ids that gain a fixed generator on top of the backup_power policy.
    add_backup: tuple[str, ...] = ()


def read_stations(c: Reader) -> StationParams:
    """The ``stations`` group."""
    stations = StationParams(
        backup_power=c.choice("stations.backup_power", BACKUP_POLICIES),
        backup_power_share=MappingProxyType(c.shares("stations.backup_power_share")),
        generator_kva=c.number("stations.generator_kva", lo=0, hi=5000, lo_open=True),
        autonomy_h=c.number("stations.autonomy_h", lo=0, hi=MAX_HOURS, lo_open=True),
        coordination_points=c.choice("stations.coordination_points", COORDINATION_POLICIES),
        closed_volunteer_posts_share=c.number("stations.closed_volunteer_posts_share", lo=0,
                                              hi=0.9),
        backup_share=None if c.get("stations.backup_share") in (None, c.ABSENT)
        else c.share("stations.backup_share"),
        add_backup=c.codes("stations.add_backup"),
    )
    if stations.backup_share is not None and stations.backup_power in ("all", "none"):
        c.problems.add("stations.backup_share", stations.backup_share,
                       f"cannot be combined with stations.backup_power={stations.backup_power}: "
                       "leave backup_share null, or use backup_power data or shares")
    return stations
