"""The model: one SimPy environment, one seed, the parts wired together.

``Model(scenario).run()`` draws the outage and the cascade up front, builds
the sites, generators, mobile pools, technicians, fuel trucks and message
routes, replays the grid timelines as events, and runs to the horizon. The
result is the list of event records (see ``records.KINDS``) plus the
precomputed schedules; indicators are pure functions of them (``sim.metrics``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import pandas as pd
import shapely
import simpy

from sim.geo.network import Site as Location
from sim.geo.network import TravelTimes
from sim.model.cascade import SERVICES, Cascade, build_cascade
from sim.model.comms import Comms, Place
from sim.model.fuel import FuelLogistics, outside_demand_times
from sim.model.outage import GridSchedule, grid_schedule
from sim.model.power import Generator as DieselGenerator
from sim.model.power import MobilePool, Site, Technicians
from sim.model.records import Recorder
from sim.params import Scenario


@dataclass(frozen=True)
class ModelResult:
    """What one simulated run produced."""

    records: pd.DataFrame
    grid: GridSchedule
    cascade: Cascade
    #: Site id -> role (coordination_point, fire_station, support_point).
    site_roles: dict[str, str]
    #: Generator id -> site id it started at ("" for mobile units).
    generators: dict[str, str]
    horizon_h: float
    events_processed: int


class Model:
    """One run of one scenario."""

    def __init__(self, scenario: Scenario, travel: TravelTimes) -> None:
        self.scenario = scenario
        self.params = scenario.params
        self.region = scenario.region
        self.streams = scenario.params.streams
        self.travel = travel
        self.env = simpy.Environment()
        self.rec = Recorder()
        p = self.params
        m = self.region.municipalities
        codes = list(m["code"])
        region_of = dict(zip(m["code"], m["region"], strict=True))
        self.grid = grid_schedule(codes, region_of, scenario.affected_codes(), p.outage,
                                  self.streams.get("outage.duration"),
                                  self.streams.get("outage.waves"))
        self.cascade = build_cascade(codes, self.grid, p.cascade, self.streams)
        self.sites: dict[str, Site] = {}
        self._build_sites()
        self.bases = self._regional_bases()
        self.rot = {r: self._rot_place(r) for r in self.bases}
        self.meldkamer = self._meldkamer_place()
        self.comms = Comms(self.env, self.rec, self.cascade, p.comms, travel,
                           p.network.road_speed_kmh, p.network.detour_factor,
                           lambda site_id: self.sites[site_id].powered())
        self.technicians = {
            r: Technicians(self, r, p.power.technicians_per_region.get(r, 0), base)
            for r, base in self.bases.items()
        }
        self.mobile = {
            r: MobilePool(self, r, p.power.mobile_per_region.get(r, 0), base)
            for r, base in self.bases.items()
        }
        self.fuel = FuelLogistics(self, dict(self.bases))
        self.cp_of = {s.municipality: s for s in self.sites.values()
                      if s.role == "coordination_point"}

    # --- construction --------------------------------------------------------------------

    def _build_sites(self) -> None:
        p = self.params.power
        layers = (
            (self.region.fire_stations, "fire_station"),
            (self.region.support_point_candidates, "support_point"),
        )
        for frame, kind in layers:
            xy = shapely.get_coordinates(frame.geometry.to_numpy())
            for i, row in enumerate(frame.itertuples(index=False)):
                role = kind
                if kind == "fire_station" and bool(row.is_coordination_point):
                    role = "coordination_point"
                site = Site(self, str(row.id), role, str(row.region),
                            Location(str(row.municipality), float(xy[i, 0]), float(xy[i, 1])),
                            load=p.load[kind])
                if bool(row.has_backup_power) and float(row.generator_kva) > 0:
                    tank = float(row.tank_l)
                    if tank > 0:
                        site.fixed = DieselGenerator(self, f"{row.id}/fixed", "fixed",
                                               float(row.generator_kva), tank, site,
                                               can_fail=True)
                self.sites[site.id] = site

    def _regional_bases(self) -> dict[str, Location]:
        """Depot and base per region: the main town of its most populous municipality."""
        m = self.region.municipalities
        dp = self.region.demand_points
        bases: dict[str, Location] = {}
        chosen = self.params.fuel.depot_municipalities
        for region, group in m.groupby("region", sort=True):
            code = chosen.get(str(region), "")
            code = code if code in set(group["code"]) else str(
                group.sort_values(["population", "code"], ascending=[False, True])["code"].iloc[0])
            towns = dp[dp["municipality"] == code].sort_values(["residents", "id"],
                                                               ascending=[False, True])
            g = towns.geometry.iloc[0]
            bases[str(region)] = Location(code, float(g.x), float(g.y))
        return bases

    def _rot_place(self, region: str) -> Place:
        """The ROT sits at the coordination point of the region's most populous municipality."""
        base = self.bases[region]
        cp = [s for s in self.sites.values()
              if s.role == "coordination_point" and s.municipality == base.municipality]
        location = cp[0].location if cp else base
        return Place(f"ROT-{region}", location, region, "rot")

    def _meldkamer_place(self) -> Place:
        code = self.params.comms.meldkamer_municipality
        ctx = self.region.context_municipalities
        modelled = code in set(self.region.municipalities["code"])
        frame = self.region.municipalities if modelled or ctx is None else ctx
        geom = frame.loc[frame["code"] == code].geometry.iloc[0]
        c = geom.centroid
        region = str(frame.loc[frame["code"] == code, "region"].iloc[0])
        return Place("meldkamer", Location(code, float(c.x), float(c.y)), region, "meldkamer",
                     modelled=modelled)

    # --- messages ------------------------------------------------------------------------

    def place(self, site: Site) -> Place:
        """The message end for a site."""
        return Place(site.id, site.location, site.region, site.role)

    def route_to_rot(self, site: Site) -> list[Place]:
        """Site -> its coordination point -> the ROT."""
        route = [self.place(site)]
        cp = self.cp_of.get(site.municipality)
        if cp is not None and cp is not site:
            route.append(self.place(cp))
        route.append(self.rot[site.region])
        return route

    def send_to_rot(self, kind: str, site: Site, on_delivered: Callable[[float], None]) -> None:
        """Send a message from a site to its region's ROT."""
        self.comms.send(kind, self.route_to_rot(site), on_delivered)

    def send_to_meldkamer(self, kind: str, site: Site,
                          on_delivered: Callable[[float], None] | None = None) -> None:
        """Send a message from a site via its coordination point and the ROT to the meldkamer."""
        self.comms.send(kind, [*self.route_to_rot(site), self.meldkamer], on_delivered)

    # --- processes -----------------------------------------------------------------------

    def _grid_process(self, code: str,
                      sites: list[Site]) -> Generator[simpy.Event, None, None]:
        timeline = self.grid.timelines[code]
        changes = [(0.0, timeline.values[0]), *timeline.changes()]  # noqa: PD011
        for t, on in changes:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.rec.add(self.env.now, "grid", code, value=float(on))
            for site in sites:
                site.set_grid(on)

    def _service_records(self) -> None:
        """Service changes are known in advance; record them directly."""
        for (code, service), timeline in self.cascade.timelines.items():
            for t, up in timeline.changes():
                if t <= self.params.horizon_h:
                    self.rec.add(t, "service", code, value=float(up), detail=service)

    def _sitreps(self, cp: Site) -> Generator[simpy.Event, None, None]:
        interval = self.params.comms.sitrep_interval_h
        until = min(self.grid.restored_at.get(cp.municipality, 0.0), self.params.horizon_h)
        t = interval
        while t < until:
            yield self.env.timeout(t - self.env.now)
            self.send_to_rot("sitrep", cp, lambda _t: None)
            t += interval

    def _outside_demand(self) -> None:
        """Draw outside fuel demand per region and kind, and schedule it."""
        m = self.region.municipalities
        dp = self.region.demand_points
        affected = set(self.scenario.affected_codes())
        for region in sorted(self.bases):
            codes = [c for c in m.loc[m["region"] == region, "code"] if c in affected]
            if not codes:
                continue
            residents = float(m.loc[m["code"].isin(codes), "population"].sum())
            until = min(max(self.grid.restored_at[c] for c in codes), self.params.horizon_h)
            points = dp[dp["municipality"].isin(codes)]
            weights = points["residents"].to_numpy(float)
            for kind, demand in sorted(self.params.fuel.outside_demand.items()):
                rng = self.streams.get(f"fuel.outside.{region}.{kind}")
                rate = demand.requests_per_day_per_100k / 24.0 * residents / 1e5
                times = outside_demand_times(rate, until, rng)
                picks = rng.choice(len(points), size=len(times), p=weights / weights.sum())
                for t, k in zip(times, picks, strict=True):
                    g = points.geometry.iloc[int(k)]
                    loc = Location(str(points["municipality"].iloc[int(k)]), float(g.x),
                                   float(g.y))
                    self.env.process(self._outside_request(float(t), region, kind,
                                                           demand.litres, loc))

    def _outside_request(self, t: float, region: str, kind: str, litres: float,
                         location: Location) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(t - self.env.now)
        self.fuel.outside(region, kind, litres, location)

    def run(self) -> ModelResult:
        """Run to the horizon and return the records."""
        by_municipality: dict[str, list[Site]] = {}
        for site in self.sites.values():
            by_municipality.setdefault(site.municipality, []).append(site)
        for code in self.region.municipalities["code"]:
            self.env.process(self._grid_process(str(code), by_municipality.get(str(code), [])))
        self._service_records()
        for cp in self.cp_of.values():
            self.env.process(self._sitreps(cp))
        self._outside_demand()
        events = 0
        horizon = self.params.horizon_h
        while self.env.peek() <= horizon:
            self.env.step()
            events += 1
        roles = {s.id: s.role for s in self.sites.values()}
        generators = {s.fixed.id: s.id for s in self.sites.values() if s.fixed is not None}
        for pool in self.mobile.values():
            generators.update({u.gen.id: "" for u in pool.units})
        return ModelResult(records=self.rec.frame(), grid=self.grid, cascade=self.cascade,
                           site_roles=roles, generators=generators, horizon_h=horizon,
                           events_processed=events)


__all__ = ["SERVICES", "Model", "ModelResult"]
