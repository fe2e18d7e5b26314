"""Parameters of the care chain: home care, suppliers with patient lists, ambulances, admission.

Residents who depend on care or on a device are first looked after by those who
know them (see ``sim.model.care``). With ``enabled: false`` only neighbours,
the residents themselves and outreach teams from local points reach them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sim.params.reader import MAX_HOURS, Reader


@dataclass(frozen=True)
class HomeCare:
    """Home-care providers (thuiszorg, wijkverpleging) visiting their own clients."""

    #: Carers free for priority visits at any time, per 100,000 residents.
    staff_per_100k: float = 0.0
    #: Hours after the outage starts before priority rounds begin.
    start_h: float = 0.0
    #: Hours per visit, travel included, by car with telephony.
    visit_h: float = 1.0
    #: Visits take this many times longer while telephony is down (no calling ahead).
    no_phone_factor: float = 1.0
    #: Hours the cars' own fuel lasts; after that, with the fuel pumps down, by bicycle.
    fuel_h: float = MAX_HOURS
    #: Visits take this many times longer without fuel.
    no_fuel_factor: float = 1.0


@dataclass(frozen=True)
class Supplier:
    """A supplier or centre with a patient list (home ventilation, home oxygen)."""

    #: Share of the group's patients on the list.
    list_share: float = 1.0
    #: Field staff (technicians, drivers) per 100,000 residents of the region.
    staff_per_100k: float = 0.0
    #: Hours after the outage starts before they act.
    start_h: float = 0.0
    #: Hours per patient (a battery or bottle brought, or an admission arranged), travel in.
    visit_h: float = 1.0
    #: Extra hours to organise rounds door to door where patients cannot be called.
    no_phone_delay_h: float = 0.0


@dataclass(frozen=True)
class Ambulance:
    """Ambulance transport (RAV) to admission."""

    #: Ambulances free for these transports, per 100,000 residents of the region.
    per_100k: float = 0.0
    #: Hours per transport (to the address, to the admitting place, handover).
    transport_h: float = 1.5
    #: Households call 112 when this share of the device's battery time has passed.
    call_at_share: float = 0.5
    #: Hours for a report made at a local point to reach the meldkamer.
    report_h: float = 1.0


@dataclass(frozen=True)
class Care:
    """The care chain."""

    enabled: bool = False
    home_care: HomeCare = field(default_factory=HomeCare)
    suppliers: Mapping[str, Supplier] = field(default_factory=dict)
    ambulance: Ambulance = field(default_factory=Ambulance)
    #: Places with backup power for admitted patients, per 100,000 residents of the region.
    admission_per_100k: float = 0.0


def read_care(c: Reader) -> Care:
    """``population.care``."""
    k = "population.care"
    h = f"{k}.home_care"
    suppliers: dict[str, Supplier] = {}
    raw = c.get(f"{k}.suppliers")
    if isinstance(raw, Mapping):
        for name in raw:
            s = f"{k}.suppliers.{name}"
            suppliers[str(name)] = Supplier(
                list_share=c.share(f"{s}.list_share"),
                staff_per_100k=c.number(f"{s}.staff_per_100k", lo=0, hi=1000),
                start_h=c.number(f"{s}.start_h", lo=0, hi=MAX_HOURS),
                visit_h=c.number(f"{s}.visit_h", lo=0, hi=48, lo_open=True),
                no_phone_delay_h=c.number(f"{s}.no_phone_delay_h", lo=0, hi=MAX_HOURS),
            )
    elif raw is not c.ABSENT and raw is not None:
        c.problems.add(f"{k}.suppliers", raw, "must map a supplier name to its settings")
    a = f"{k}.ambulance"
    return Care(
        enabled=c.flag(f"{k}.enabled"),
        home_care=HomeCare(
            staff_per_100k=c.number(f"{h}.staff_per_100k", lo=0, hi=10_000),
            start_h=c.number(f"{h}.start_h", lo=0, hi=MAX_HOURS),
            visit_h=c.number(f"{h}.visit_h", lo=0, hi=48, lo_open=True),
            no_phone_factor=c.number(f"{h}.no_phone_factor", lo=1, hi=100),
            fuel_h=c.number(f"{h}.fuel_h", lo=0, hi=MAX_HOURS),
            no_fuel_factor=c.number(f"{h}.no_fuel_factor", lo=1, hi=100),
        ),
        suppliers=MappingProxyType(suppliers),
        ambulance=Ambulance(
            per_100k=c.number(f"{a}.per_100k", lo=0, hi=1000),
            transport_h=c.number(f"{a}.transport_h", lo=0, hi=48, lo_open=True),
            call_at_share=c.share(f"{a}.call_at_share"),
            report_h=c.number(f"{a}.report_h", lo=0, hi=48),
        ),
        admission_per_100k=c.number(f"{k}.admission_per_100k", lo=0, hi=100_000),
    )
