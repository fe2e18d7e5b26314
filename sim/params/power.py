"""Parameters of the generators at the sites and the regional mobile pools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sim.params.reader import MAX_HOURS, Reader
from sim.params.timedist import TimeDist, read_time_dist

SITE_KINDS = ("coordination_point", "support_point")
LOAD_KINDS = ("fire_station", "support_point")


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
    #: Hours at full load a mobile unit's tank holds; its litres are derived.
    mobile_autonomy_h: float
    mobile_setup_h: float
    mobile_priority: tuple[str, ...]
    #: Fixed tanks hold at least this many hours at full load (None: as in the data).
    min_autonomy_h: float | None = None

    @property
    def mobile_tank_l(self) -> float:
        """Litres in a mobile unit's tank: its autonomy at full-load consumption."""
        return self.mobile_autonomy_h * self.litres_per_hour(self.mobile_kva, 1.0)

    def litres_per_hour(self, kva: float, load: float) -> float:
        """Diesel use, interpolated in the table over load and (linearly) over size."""
        sizes = sorted(self.consumption)
        loads = (0.25, 0.5, 0.75, 1.0)
        per_size = [float(np.interp(load, loads, self.consumption[k])) for k in sizes]
        if kva <= sizes[0]:
            return per_size[0] * kva / sizes[0]
        return float(np.interp(kva, sizes, per_size, right=None)) if kva <= sizes[-1] else (
            per_size[-1] * kva / sizes[-1])


def read_power(c: Reader) -> PowerParams:
    """The ``power`` group: load, the consumption table, fixed and mobile generators."""
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
        repair=read_time_dist(c, "power.fixed.repair"),
        technicians_per_region=MappingProxyType(
            c.mapping("power.fixed.technicians_per_region", lambda k: c.integer(k, 0, 1000))),
        refuel_threshold=c.number("power.fixed.refuel_threshold", lo=0, hi=1, lo_open=True),
        min_autonomy_h=None if c.get("power.fixed.min_autonomy_h") in (None, c.ABSENT)
        else c.number("power.fixed.min_autonomy_h", lo=0, hi=MAX_HOURS, lo_open=True),
        mobile_per_region=MappingProxyType(
            c.mapping("power.mobile.per_region", lambda k: c.integer(k, 0, 1000))),
        mobile_kva=c.number("power.mobile.kva", lo=0, hi=5000, lo_open=True),
        mobile_autonomy_h=c.number("power.mobile.autonomy_h", lo=0, hi=MAX_HOURS,
                                   lo_open=True),
        mobile_setup_h=c.number("power.mobile.setup_h", lo=0, hi=48),
        mobile_priority=tuple(priority),
    )
