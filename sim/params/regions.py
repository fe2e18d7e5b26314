"""Safety regions in the parameters: any name a planner uses, and defaults for every region.

Settings per safety region (fuel trucks, technicians, mobile generators, depots,
meldkamers, backup-power shares, DARES and the affected regions) may name a
region by its official code (VR07), its name (Gelderland-Midden) or its short
name (VGGM), in any case; a mapping may hold a ``default`` that every loaded
region without its own value gets. Once the geodata is loaded,
:func:`with_region_names` turns every key into the short name the layers use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from sim.errors import Problems
from sim.geo.load import RegionData, region_help, resolve_regions
from sim.geo.settings import national_region_names, region_key
from sim.params.scenario import Params

#: The key of a per-region mapping that holds the value for every other region.
DEFAULT = "default"

V = TypeVar("V")


def with_region_names(params: Params, region: RegionData, problems: Problems) -> Params:
    """``params`` with every region key and name as a short name, defaults filled in.

    A key naming one of the 25 Dutch safety regions that is not loaded (a user's own
    geodata of part of the country) is left out of a mapping without complaint.
    """
    names = dict(region.region_names) or {
        region_key(r): str(r) for r in region.municipalities["region"]}
    every = sorted(set(names.values()))
    elsewhere = {a for a in national_region_names() if a not in names}

    def per_region(mapping: Mapping[str, V], key: str) -> Mapping[str, V]:
        kept = {k: v for k, v in mapping.items() if region_key(k) not in elsewhere}
        return MappingProxyType(_mapping(kept, key, names, every, problems))

    def listed(values: Sequence[str], key: str) -> tuple[str, ...]:
        return tuple(resolve_regions(values, names, key, problems))

    fuel = dataclasses.replace(
        params.fuel,
        trucks_per_region=per_region(params.fuel.trucks_per_region, "fuel.trucks_per_region"),
        depot_municipalities=per_region(params.fuel.depot_municipalities,
                                        "fuel.depot_municipalities"))
    power = dataclasses.replace(
        params.power,
        technicians_per_region=per_region(params.power.technicians_per_region,
                                          "power.fixed.technicians_per_region"),
        mobile_per_region=per_region(params.power.mobile_per_region, "power.mobile.per_region"))
    comms = dataclasses.replace(
        params.comms,
        dares_regions=listed(params.comms.dares_regions, "comms.dares_regions"),
        meldkamers=per_region(params.comms.meldkamers, "comms.meldkamers"))
    stations = dataclasses.replace(
        params.stations,
        backup_power_share=per_region(params.stations.backup_power_share,
                                      "stations.backup_power_share"))
    outage = dataclasses.replace(
        params.outage,
        affected_regions=listed(params.outage.affected_regions, "outage.affected.regions"))
    return dataclasses.replace(params, fuel=fuel, power=power, comms=comms, stations=stations,
                               outage=outage)


def _mapping(mapping: Mapping[str, Any], key: str, names: Mapping[str, str],
             every: Sequence[str], problems: Problems) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = []
    for alias, value in mapping.items():
        if str(alias) == DEFAULT:
            continue
        name = names.get(region_key(alias))
        if name is None:
            unknown.append(str(alias))
        else:  # a later key wins: an override by name replaces a default keyed by code
            out[name] = value
    if unknown:
        problems.add(key, unknown, "keys must be 'default' or safety regions by code, name or "
                     f"short name: {region_help(names)}")
    if DEFAULT in mapping:
        for name in every:
            out.setdefault(name, mapping[DEFAULT])
    return out
