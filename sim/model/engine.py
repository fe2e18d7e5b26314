"""The model: one SimPy environment, one seed, the parts wired together.

``Model(scenario).run()`` draws the outage and the cascade up front, builds
the sites, generators, mobile pools, technicians, fuel trucks and message
routes, replays the grid timelines as events, and runs to the horizon. The
result is the list of event records (see ``records.KINDS``) plus the
precomputed schedules; indicators are pure functions of them (``sim.results``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import shapely
import simpy

from sim.geo.network import Site as Location
from sim.geo.network import TravelTimes, largest_town
from sim.model.aid import OutsideHelp
from sim.model.care import Region as CareRegion
from sim.model.cascade import SERVICES, Cascade, build_cascade
from sim.model.comms import Comms, Place
from sim.model.flows import Flows
from sim.model.fuel import FuelLogistics, outside_demand_times
from sim.model.grid_operator import transformer_plan
from sim.model.outage import GridSchedule, grid_schedule
from sim.model.points import CoordinationPoint, LocalPoint
from sim.model.power import Clock, MobilePool, Site, Technicians, Timer
from sim.model.power import Generator as DieselGenerator
from sim.model.records import Recorder
from sim.model.residents import Residents
from sim.model.staffing import Post, homes_by_municipality, homes_in, round_share, spread
from sim.model.vulnerable import simulate_cases
from sim.params.scenario import Scenario


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
    #: Site ids of the planned local points and of the coordination points.
    planned_points: list[str]
    coordination_points: list[str]
    #: Municipality of every site.
    site_municipality: dict[str, str]
    horizon_h: float
    events_processed: int
    #: Bulk visitor streams per slice (``sim.model.residents``).
    flows: Flows
    #: Vulnerable residents, one row per case (``sim.model.vulnerable``).
    cases: pd.DataFrame
    #: Tables derived from the records once and read by several indicators, by key
    #: (``sim.results``); not part of the result's value.
    memo: dict[tuple[object, ...], Any] = field(default_factory=dict, compare=False,
                                               repr=False)

    @cached_property
    def _rows_by_kind(self) -> dict[str, np.ndarray]:
        """Row positions of the records of each kind, ascending (grouped once)."""
        groups = self.records.groupby("kind", sort=False).indices
        return {str(kind): rows for kind, rows in groups.items()}

    def of_kind(self, *kinds: str) -> pd.DataFrame:
        """The records of the given kinds, in record order, with their original index.

        The same rows as ``records[records["kind"].isin(kinds)]``, without scanning
        the whole event log for every indicator.
        """
        rows = [self._rows_by_kind[k] for k in dict.fromkeys(kinds) if k in self._rows_by_kind]
        if not rows:
            positions = np.empty(0, dtype=np.intp)
        elif len(rows) == 1:
            positions = rows[0]
        else:
            positions = np.sort(np.concatenate(rows))
        return self.records.take(positions)


class Model:
    """One run of one scenario."""

    def __init__(self, scenario: Scenario, travel: TravelTimes) -> None:
        self.scenario = scenario
        self.params = scenario.params
        self.region = scenario.region
        self.streams = scenario.params.streams
        self.travel = travel
        self.env = Clock(self.params.horizon_h)
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
        #: The message end of each site, made once (see :meth:`place`).
        self._places: dict[str, Place] = {}
        self._build_sites()
        self.bases = self._regional_bases()
        self.rot = {r: self._rot_place(r) for r in self.bases}
        self.meldkamers = {r: self._meldkamer_place(r) for r in self.bases}
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
        self.aid = OutsideHelp(self)
        self.transformers = transformer_plan(self)  # the grid operator's own generators
        self.cp_of = {s.municipality: s for s in self.sites.values()
                      if s.role == "coordination_point"}
        self.coordination: dict[str, CoordinationPoint] = {}
        self.points: dict[str, LocalPoint] = {}
        self._build_posts()
        self.residents = Residents(self, [self.points[k] for k in sorted(self.points)])

    # --- construction --------------------------------------------------------------------

    @cached_property
    def homes(self) -> dict[str, list[Location]]:
        """Candidate homes of staff per municipality (see ``staffing.homes_in``)."""
        return homes_by_municipality(self.region.demand_points)

    def _build_sites(self) -> None:
        p = self.params.power
        layers = (
            (self.region.fire_stations, "fire_station"),
            (self.region.support_point_candidates, "support_point"),
        )
        for frame, kind in layers:
            xy = shapely.get_coordinates(frame.geometry.to_numpy())
            rows = pd.DataFrame(frame.drop(columns="geometry"))  # no geometry objects per row
            for i, row in enumerate(rows.itertuples(index=False)):
                role = kind
                if kind == "fire_station" and bool(row.is_coordination_point):
                    role = "coordination_point"
                site = Site(self, str(row.id), role, str(row.region),
                            Location(str(row.municipality), float(xy[i, 0]), float(xy[i, 1])),
                            load=p.load[kind])
                if bool(row.has_backup_power) and float(row.generator_kva) > 0:
                    tank = float(row.tank_l)
                    if p.min_autonomy_h is not None:
                        full = p.litres_per_hour(float(row.generator_kva), 1.0)
                        tank = max(tank, p.min_autonomy_h * full)
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
            town = largest_town(dp, code)
            assert town is not None, code
            bases[str(region)] = town
        return bases

    def _rot_place(self, region: str) -> Place:
        """The ROT sits at the coordination point of the region's most populous municipality."""
        base = self.bases[region]
        cp = [s for s in self.sites.values()
              if s.role == "coordination_point" and s.municipality == base.municipality]
        location = cp[0].location if cp else base
        return Place(f"ROT-{region}", location, region, "rot")

    def _meldkamer_place(self, region: str) -> Place:
        """The meldkamer serving ``region`` (one place per meldkamer building)."""
        c_ = self.params.comms
        code = c_.meldkamer_municipality or c_.meldkamers[region]
        ctx = self.region.context_municipalities
        modelled = code in set(self.region.municipalities["code"])
        frame = self.region.municipalities if modelled or ctx is None else ctx
        geom = frame.loc[frame["code"] == code].geometry.iloc[0]
        c = geom.centroid
        region = str(frame.loc[frame["code"] == code, "region"].iloc[0])
        return Place("meldkamer", Location(code, float(c.x), float(c.y)), region, "meldkamer",
                     modelled=modelled)

    def _build_posts(self) -> None:
        """Coordination-point crews and planned local points with their staff pools."""
        p = self.params
        st = p.staffing
        # Plain columns, not the GeoDataFrames: selecting and grouping them is far cheaper.
        fs = self.region.fire_stations
        fs_municipality = fs["municipality"].to_numpy()
        fs_volunteer = fs["crew_volunteer"].to_numpy()
        fs_professional = fs["crew_professional"].to_numpy()
        affected = set(self.scenario.affected_codes())
        for code, cp in sorted(self.cp_of.items()):
            crews = fs_municipality == code
            volunteers = round_share(int(fs_volunteer[crews].sum()),
                                     st.crew_share_for_coordination)
            pros = round_share(int(fs_professional[crews].sum()),
                               st.crew_share_for_coordination)
            post = Post(self, f"CP-{cp.id}", cp, st.min_staff_per_coordination_point, 0,
                        target=st.staff_per_coordination_point)
            post.add_people([("fire_professional", True)] * pros
                            + [("fire_volunteer", False)] * volunteers,
                            homes_in(self, code), st.reservist_share)
            self.coordination[cp.id] = CoordinationPoint(self, cp, post)

        sp = pd.DataFrame(self.region.support_point_candidates[
            ["id", "municipality", "region", "capacity"]])
        sp = self._planned(sp[sp["municipality"].isin(affected)])
        decide = self._decision_times(sp)
        m = self.region.municipalities
        population = dict(zip(m["code"], m["population"].astype(int), strict=True))
        red_cross: dict[str, list[int]] = {}
        for region, group in sp.groupby("region", sort=True):
            residents = sum(population[c] for c in set(group["municipality"]))
            red_cross[str(region)] = spread(round(residents / 1e5 * st.red_cross_per_100k),
                                            len(group))
        index_in_region: dict[str, int] = {}
        staff_base = self._staff_population(affected)
        for code, group in sp.groupby("municipality", sort=True):
            municipal = spread(round(staff_base[str(code)] / 1e4 * st.municipal_staff_per_10k),
                               len(group))
            homes = homes_in(self, str(code))
            for k, row in enumerate(group.itertuples(index=False)):
                site = self.sites[str(row.id)]
                i = index_in_region.get(site.region, 0)
                index_in_region[site.region] = i + 1
                post = Post(self, f"LP-{site.id}", site, st.min_staff_per_point,
                            st.min_professionals_per_point, target=st.staff_per_point)
                post.add_people([("municipal", True)] * municipal[k]
                                + [("red_cross", False)] * red_cross[site.region][i],
                                homes, 0.0)
                self.points[site.id] = LocalPoint(self, site, post, decide[site.id],
                                                  int(row.capacity))

    def _planned(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """The candidates the policy plans to open, with their rank in their municipality."""
        sp = self.params.support_points
        out = candidates.copy()
        if sp.policy != "priority":
            out["rank"] = 0
            return out
        types = self.region.support_point_candidates.set_index("id")["type"].astype(str)
        order = {name: i for i, name in reversed(list(enumerate(sp.priority)))}
        wanted = [min(order.get(str(sid), len(order)), order.get(types[sid], len(order)))
                  for sid in out["id"]]
        out["wanted"] = wanted
        out = out[out["wanted"] < len(order)]
        out = out.sort_values(["municipality", "wanted", "capacity", "id"],
                              ascending=[True, True, False, True])
        out["rank"] = out.groupby("municipality").cumcount()
        if sp.per_municipality is not None:
            out = out[out["rank"] < sp.per_municipality]
        return out.drop(columns=["wanted"]).sort_index()

    def _decision_times(self, candidates: pd.DataFrame) -> dict[str, float]:
        """When each planned point is ordered open (per municipality, or by phase)."""
        sp = self.params.support_points
        out: dict[str, float] = {}
        if sp.policy == "phased":
            ordered = candidates.sort_values(["capacity", "id"], ascending=[False, True])
            ids = list(ordered["id"])
            start = 0
            for k, phase in enumerate(sp.phases):
                n = len(ids) - start if k == len(sp.phases) - 1 else round(phase.share * len(ids))
                for sid in ids[start:start + n]:
                    out[str(sid)] = phase.at_h
                start += n
            return out
        rng = self.streams.get("points.decision")
        municipality = candidates["municipality"].to_numpy()
        site_ids = candidates["id"].to_numpy()
        rank = candidates["rank"].to_numpy()
        for code in sorted(set(municipality)):
            at = sp.auto_trigger_h if sp.trigger == "automatic" else sp.decision.sample(rng)
            here = municipality == code
            for sid, k in zip(site_ids[here], rank[here], strict=True):
                out[str(sid)] = at + float(k) * sp.step_h
        return out

    def local_hour(self, t: float) -> float:
        """Local clock hour at simulated time ``t``."""
        start = self.params.outage.start
        return (start.hour + start.minute / 60.0 + t) % 24.0

    def phones_work(self, municipality: str, t: float) -> bool:
        """Whether people at home in ``municipality`` can be reached by phone at ``t``."""
        return self.cascade.up(municipality, "mobile", t)

    def pager_works(self, municipality: str, t: float) -> bool:
        """Fire crews are alerted by phone or over the emergency-services network."""
        return (self.cascade.up(municipality, "mobile", t)
                or self.cascade.up(municipality, "c2000", t))

    # --- messages ------------------------------------------------------------------------

    def place(self, site: Site) -> Place:
        """The message end for a site (one per site: its location and role are fixed)."""
        place = self._places.get(site.id)
        if place is None:
            place = self._places[site.id] = Place(site.id, site.location, site.region, site.role)
        return place

    def route_to_rot(self, site: Site) -> list[Place]:
        """Site -> its coordination point -> the ROT."""
        route = [self.place(site)]
        cp = self.cp_of.get(site.municipality)
        functioning = cp is not None and (
            cp.id not in self.coordination or self.coordination[cp.id].functional)
        if cp is not None and cp is not site and functioning:
            route.append(self.place(cp))
        route.append(self.rot[site.region])
        return route

    def send_to_rot(self, kind: str, site: Site, on_delivered: Callable[[float], None]) -> None:
        """Send a message from a site to its region's ROT."""
        self.comms.send(kind, self.route_to_rot(site), on_delivered)

    def send_order(self, site: Site, on_delivered: Callable[[float], None]) -> None:
        """An order from the ROT to a site, via its coordination point if that functions."""
        route = list(reversed(self.route_to_rot(site)))
        self.comms.send("order", route, on_delivered)

    def send_to_meldkamer(self, kind: str, site: Site,
                          on_delivered: Callable[[float], None] | None = None) -> str:
        """Send a message from a site via its coordination point and the ROT to the meldkamer."""
        return self.comms.send(kind, [*self.route_to_rot(site), self.meldkamers[site.region]],
                               on_delivered)

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
            if not timeline.values[0]:  # noqa: PD011 - down from the start
                self.rec.add(0.0, "service", code, value=0.0, detail=service)
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
                    g, code = points.geometry.iloc[int(k)], points["municipality"].iloc[int(k)]
                    loc = Location(str(code), float(g.x), float(g.y))
                    self.env.process(self._outside_request(float(t), region, kind, demand.litres,
                                                           loc))

    def _outside_request(self, t: float, region: str, kind: str, litres: float,
                         location: Location) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(t - self.env.now)
        self.fuel.outside(region, kind, litres, location)

    def _staff_population(self, affected: set[str]) -> dict[str, float]:
        """The population each municipality's staff pool is counted on.

        A municipality split into outage areas (``part_of``) keeps one pool for the whole
        municipality, shared by its affected parts by their residents.
        """
        m = self.region.municipalities
        population = dict(zip(m["code"], m["population"].astype(float), strict=True))
        part_of = (dict(zip(m["code"], m["part_of"], strict=True)) if "part_of" in m.columns
                   else {})
        whole: dict[str, float] = {}
        hit: dict[str, float] = {}
        for code, parent in part_of.items():
            if parent:
                whole[parent] = whole.get(parent, 0.0) + population[code]
                if code in affected:
                    hit[parent] = hit.get(parent, 0.0) + population[code]
        return {**population, **{code: whole[parent] * population[code] / hit[parent]
                                 for code, parent in part_of.items()
                                 if parent and code in affected and hit.get(parent)}}

    def _care_region(self, codes: list[str]) -> CareRegion:
        """Regions, affected residents and services per municipality, for the care chain."""
        m = self.region.municipalities
        affected = set(self.scenario.affected_codes())
        residents = {str(c): float(p) for c, p in zip(m["code"], m["population"], strict=True)
                     if c in affected}
        region_of = {str(c): str(r) for c, r in zip(m["code"], m["region"], strict=True)}
        per_region: dict[str, float] = {}
        for code, n in residents.items():
            per_region[region_of[code]] = per_region.get(region_of[code], 0.0) + n
        t = self.cascade.timelines
        return CareRegion(region_of=region_of, residents_of=residents, region_residents=per_region,
                          mobile={c: t[(c, "mobile")] for c in codes},
                          fixed={c: t[(c, "fixed_network")] for c in codes},
                          payment={c: t[(c, "payment")] for c in codes})

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
        self._start_posts()
        self.env.process(self.residents.process())
        events = 0
        horizon = self.params.horizon_h
        peek, step = self.env.peek, self.env.step
        while peek() <= horizon:
            step()
            events += 1
        flows = self.residents.flows()
        codes = [str(c) for c in self.region.municipalities["code"]]
        cases = simulate_cases(
            self.params.population, flows, self.streams, self.grid.timelines,
            {c: self.cascade.timelines[(c, "heating")] for c in codes},
            self.scenario.affected_codes(), self.residents.dp_res, horizon,
            self.params.population.slice_h, self._care_region(codes), self.transformers)
        roles = {s.id: s.role for s in self.sites.values()}
        generators = {s.fixed.id: s.id for s in self.sites.values() if s.fixed is not None}
        generators.update({u.gen.id: "" for pool in self.mobile.values() for u in pool.units})
        generators.update({g: "" for g in self.aid.generator_ids()})
        records = self.rec.frame()
        # The rows live on in the frame; dropped now they are freed at once, not in the
        # garbage collector's pass over the whole model once the run is over.
        self.rec.clear()
        return ModelResult(records=records, grid=self.grid, cascade=self.cascade,
                           site_roles=roles, generators=generators, horizon_h=horizon,
                           events_processed=events, planned_points=sorted(self.points),
                           coordination_points=sorted(self.coordination),
                           site_municipality={s.id: s.municipality
                                              for s in self.sites.values()},
                           flows=flows, cases=cases)

    def _start_posts(self) -> None:
        """Crews called at the start, points decided in time, reservists, nafase."""
        affected = set(self.scenario.affected_codes())
        horizon = self.params.horizon_h
        nafase = self.params.support_points.nafase_h
        for cp in self.coordination.values():
            if cp.site.municipality in affected:
                cp.post.activate(self.pager_works)
                end = self.grid.restored_at[cp.site.municipality] + nafase
                if end <= horizon:
                    Timer(self.env, end, cp.stand_down)
        for point in self.points.values():
            point.start()
            end = self.grid.restored_at[point.site.municipality] + nafase
            if end <= horizon:
                Timer(self.env, end, point.close_for_good)
        if self.params.staffing.reservist_share > 0:
            posts = [cp.post for cp in self.coordination.values()]
            Timer(self.env, self.params.staffing.reservists_leave_h,
                  lambda: self._withdraw_reservists(posts))

    @staticmethod
    def _withdraw_reservists(posts: list[Post]) -> None:
        for post in posts:
            post.withdraw_reservists()


__all__ = ["SERVICES", "Model", "ModelResult"]
