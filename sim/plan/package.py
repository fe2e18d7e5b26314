"""A package of measures: what it changes in the scenario's config and what it costs.

A package designates, per safety region, the local points of the pre-screen
(``sim.plan.screen``) as the only planned points, and chooses per region the
share of them with a fixed generator (the rest get a connection point for a
mobile unit), the share of coordination-point stations that gain backup power,
and extra mobile units and fuel trucks; for the whole area the hours of fuel
every fixed generator holds, satellite phones at coordination points and extra
volunteers. :meth:`Package.overrides` is the config that runs it;
:meth:`Package.cost` prices it with :class:`~sim.plan.settings.Costs`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.params.scenario import Params
from sim.plan.screen import Screen
from sim.plan.settings import Costs

#: Cost items, in report order.
COST_ITEMS = ("point_generators", "connection_points", "station_generators",
              "mobile_generators", "fuel_storage", "generator_upkeep", "fuel_trucks",
              "satellite_phones", "volunteers")


@dataclass(frozen=True)
class Package:
    """Choices per safety region (mappings keyed by region) and for the whole area."""

    fixed_share: Mapping[str, float]
    station_share: Mapping[str, float]
    mobile_extra: Mapping[str, int]
    trucks_extra: Mapping[str, int]
    autonomy_h: float
    satellite: bool
    volunteers_per_100k: float

    def as_dict(self) -> dict[str, Any]:
        """Plain, ordered form (JSON, tables)."""
        return {
            "fixed_share": {k: float(v) for k, v in sorted(self.fixed_share.items())},
            "station_share": {k: float(v) for k, v in sorted(self.station_share.items())},
            "mobile_extra": {k: int(v) for k, v in sorted(self.mobile_extra.items())},
            "trucks_extra": {k: int(v) for k, v in sorted(self.trucks_extra.items())},
            "autonomy_h": float(self.autonomy_h),
            "satellite": bool(self.satellite),
            "volunteers_per_100k": float(self.volunteers_per_100k),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Package:
        """Inverse of :meth:`as_dict`."""
        return cls(fixed_share=dict(d["fixed_share"]), station_share=dict(d["station_share"]),
                   mobile_extra=dict(d["mobile_extra"]), trucks_extra=dict(d["trucks_extra"]),
                   autonomy_h=float(d["autonomy_h"]), satellite=bool(d["satellite"]),
                   volunteers_per_100k=float(d["volunteers_per_100k"]))

    @property
    def key(self) -> str:
        """A stable identifier of the package's choices."""
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    # --- what it buys ----------------------------------------------------------------

    def fixed_points(self, screen: Screen, region: str) -> tuple[str, ...]:
        """Designated points of ``region`` that gain a fixed generator (rank order)."""
        bare = [p for p in screen.regions[region].points if p not in screen.powered_points]
        return tuple(bare[:round(self.fixed_share[region] * len(bare))])

    def connection_points(self, screen: Screen, region: str) -> tuple[str, ...]:
        """Designated points of ``region`` without any generator: a connection point each."""
        fixed = set(self.fixed_points(screen, region))
        return tuple(p for p in screen.regions[region].points
                     if p not in screen.powered_points and p not in fixed)

    def stations(self, screen: Screen, region: str) -> tuple[str, ...]:
        """Coordination-point stations of ``region`` that gain backup power."""
        s = screen.regions[region].stations
        return s[:round(self.station_share[region] * len(s))]

    def overrides(self, screen: Screen, base: Params) -> dict[str, Any]:
        """The config changes that run this package on top of the base scenario."""
        regions = sorted(screen.regions)
        points = [p for r in regions for p in screen.regions[r].points]
        out: dict[str, Any] = {
            "support_points": {
                "activation": {"policy": "priority", "priority": points,
                               "per_municipality": None, "step_h": 0.0},
                "add_generators": [p for r in regions for p in self.fixed_points(screen, r)],
            },
            "stations": {"add_backup": [s for r in regions for s in self.stations(screen, r)]},
            "power": {"mobile": {"per_region": {
                r: int(base.power.mobile_per_region[r]) + int(self.mobile_extra[r])
                for r in regions}}},
            "fuel": {"trucks_per_region": {
                r: int(base.fuel.trucks_per_region[r]) + int(self.trucks_extra[r])
                for r in regions}},
        }
        if self.autonomy_h > (base.power.min_autonomy_h or 0.0):
            out["power"]["fixed"] = {"min_autonomy_h": float(self.autonomy_h)}
        if self.satellite:
            out["comms"] = {"satellite_at_coordination_points": True}
        if self.volunteers_per_100k > 0:
            out["staffing"] = {"red_cross_per_100k":
                               float(base.staffing.red_cross_per_100k)
                               + float(self.volunteers_per_100k)}
        return out

    def cost(self, screen: Screen, base: Params, costs: Costs) -> dict[str, dict[str, float]]:
        """First-year cost per region and item (EUR)."""
        power = base.power
        autonomy = max(self.autonomy_h, base.power.min_autonomy_h or 0.0)
        raise_autonomy = self.autonomy_h > (base.power.min_autonomy_h or 0.0)
        out: dict[str, dict[str, float]] = {}
        for r, rs in sorted(screen.regions.items()):
            new_points = self.fixed_points(screen, r)
            new_stations = self.stations(screen, r)
            storage_l = 0.0
            if raise_autonomy:
                gens = [(screen.kva[p], screen.tank_l[p]) for p in rs.points
                        if p in screen.powered_points]
                gens += [(base.support_points.generator_kva, base.support_points.tank_l)
                         for _ in new_points]
                gens += [(screen.kva[s], screen.tank_l[s]) for s in screen.powered_stations
                         if s in screen.station_region and screen.station_region[s] == r]
                gens += [(base.stations.generator_kva, base.stations.tank_l)
                         for _ in new_stations]
                storage_l = sum(max(0.0, autonomy * power.litres_per_hour(kva, 1.0) - tank)
                                for kva, tank in gens)
            sat = 0.0
            if self.satellite and not base.comms.satellite_at_coordination_points:
                sat = rs.coordination_points * costs.satellite_phone_eur
            out[r] = {
                "point_generators": len(new_points) * costs.point_generator_eur,
                "connection_points": (len(self.connection_points(screen, r))
                                      * costs.connection_point_eur),
                "station_generators": len(new_stations) * costs.station_generator_eur,
                "mobile_generators": int(self.mobile_extra[r]) * costs.mobile_generator_eur,
                "fuel_storage": storage_l * costs.fuel_storage_eur_per_l,
                "generator_upkeep": ((len(new_points) + len(new_stations)
                                      + int(self.mobile_extra[r]))
                                     * costs.generator_upkeep_eur_per_year),
                "fuel_trucks": int(self.trucks_extra[r]) * costs.fuel_truck_eur_per_year,
                "satellite_phones": sat,
                "volunteers": (self.volunteers_per_100k * rs.residents / 100_000
                               * costs.volunteer_eur),
            }
        return out

    def bought(self, screen: Screen, base: Params) -> dict[str, dict[str, Any]]:
        """What the package buys per region, in units (the report)."""
        out: dict[str, dict[str, Any]] = {}
        for r, rs in sorted(screen.regions.items()):
            out[r] = {
                "designated_points": len(rs.points),
                "static_cover_share": round(rs.cover, 4),
                "point_generators": len(self.fixed_points(screen, r)),
                "points_with_own_generator": sum(p in screen.powered_points for p in rs.points),
                "connection_points": len(self.connection_points(screen, r)),
                "station_generators": len(self.stations(screen, r)),
                "mobile_generators": int(base.power.mobile_per_region[r])
                + int(self.mobile_extra[r]),
                "mobile_extra": int(self.mobile_extra[r]),
                "fuel_trucks": int(base.fuel.trucks_per_region[r]) + int(self.trucks_extra[r]),
                "trucks_extra": int(self.trucks_extra[r]),
            }
        return out


def total(cost: Mapping[str, Mapping[str, float]]) -> float:
    """The sum of a cost breakdown."""
    return float(sum(sum(items.values()) for items in cost.values()))
