"""Parameters of the message channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sim.params.reader import MAX_HOURS, Reader


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
    #: Safety region -> CBS code of the municipality of the meldkamer serving it.
    meldkamers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: One meldkamer for every region instead (a CBS code), or None.
    meldkamer_municipality: str | None = None


def read_comms(c: Reader) -> CommsParams:
    """The ``comms`` group: message channels and their hop times."""
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
        meldkamers=MappingProxyType(c.mapping("comms.meldkamers", lambda k: c.text(k))
                                    if c.get("comms.meldkamers") not in (None, c.ABSENT)
                                    else {}),
        meldkamer_municipality=None if c.get("comms.meldkamer_municipality") in (None, c.ABSENT)
        else c.text("comms.meldkamer_municipality"),
    )
