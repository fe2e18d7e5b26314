"""Residents' needs at local support points, handled in bulk per time slice.

Every ``slice_h`` hours, for each demand point (a population centre) and each
need (``sim.params.population.NEEDS``), the number of visits is drawn (Poisson, from the
rate per resident in need given the state of the grid and services in the home
municipality, ``sim.model.needs``; residents the grid operator re-powered on
transformer houses have the needs of a lit home). Visitors cycle
(``cycling_share``) or walk to the nearest open local point within the distance
they accept; without one, the need is unmet.

At each point: warmth and charging are offered only with power (a point open
with reduced functions turns them away), water and food only while in stock,
warmth only while places are free. The rest join the point's queue, worked by
the counter staff on duty (plus registered spontaneous helpers) as a fluid
(``sim.model.queueing.fluid_slice``): visitors who expect to wait longer than
their patience leave. Goods are handed out on admission; a point below its
reorder level asks the regional stock for more, delivered after loading and the
drive; a point with neither water nor food left closes until supplies arrive
(``close_when_out``). Emergency reports that reach a point go as messages via
the coordination point and the ROT to the meldkamer. Where goods run short and
queues are long, a public-order incident may arise and ask for police.

All draws are made every slice from the ``residents.*`` streams whether or not a
point is open, so scenarios share their random numbers (common random numbers).

The slice results are kept as arrays (``Flows``); indicators are pure functions
of them and of the records.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import shapely
import simpy

from sim.mathutil import nearest_first, reach_fraction, sum_rows
from sim.model.flows import POINT_COLUMNS, Flows
from sim.model.needs import SERVICES, K, powered_mix
from sim.model.points import STATE_VALUE
from sim.model.power import Timer
from sim.model.queueing import fluid_slice, light_traffic_ratio
from sim.params.population import NEEDS

if TYPE_CHECKING:
    from collections.abc import Generator

    from sim.model.engine import Model
    from sim.model.points import LocalPoint

#: Needs a point open with reduced functions (no power) cannot meet.
NEEDS_POWER = ("warmth", "charging")
#: Columns of the per-municipality slice table (one set per need where noted).
MUNICIPALITY_COLUMNS = ("residents_in_reach", "unmet_no_reach")
#: Where visitors go: (demand point, point, share) triples, and whether each demand
#: point has an open point at all (see ``Residents._nearest``).
Way = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class Residents:
    """The bulk visitor streams of one run."""

    def __init__(self, model: Model, points: list[LocalPoint]) -> None:
        self.model = model
        p = model.params
        self.pp = p.population
        self.sp = p.support_points
        self.points = points
        self.n_p = len(points)
        dp = model.region.demand_points
        m = model.region.municipalities
        self.codes = [str(c) for c in m["code"]]
        index = {c: i for i, c in enumerate(self.codes)}
        self.dp_ids = [str(x) for x in dp["id"]]
        self.dp_muni = [str(x) for x in dp["municipality"]]
        self.dp_m = np.array([index[c] for c in self.dp_muni], dtype=int)
        self.dp_res = dp["residents"].to_numpy(float)
        self.muni_res = np.bincount(self.dp_m, weights=self.dp_res, minlength=len(self.codes))
        xy = shapely.get_coordinates(dp.geometry.to_numpy())
        pxy = np.array([[pt.site.location.x, pt.site.location.y] for pt in points]).reshape(-1, 2)
        d = np.hypot(xy[:, None, 0] - pxy[None, :, 0], xy[:, None, 1] - pxy[None, :, 1])
        self.dist_km = d / 1000.0 * p.network.detour_factor
        acc = self.pp.access
        self.walk_ok = self.dist_km <= acc.walk_km
        self.cycle_ok = self.dist_km <= acc.cycle_km
        # Per demand point, the points within cycling distance, nearest first (-1 pads).
        width = max(int(self.cycle_ok.sum(axis=1).max()) if self.cycle_ok.size else 0, 1)
        order = nearest_first(np.where(self.cycle_ok, self.dist_km, np.inf), width)
        self.cand = np.where(np.take_along_axis(self.cycle_ok, order, axis=1), order, -1)
        self.cand_walk = np.take_along_axis(self.walk_ok, order, axis=1) & (self.cand >= 0)
        self.cand_km = np.take_along_axis(self.dist_km, order, axis=1)
        self.capacity = np.array([pt.capacity for pt in points], dtype=float)
        self.service_h = np.array([self.pp.needs[n].service_h for n in NEEDS])
        self.per_h = np.array([self.pp.needs[n].per_1000_day for n in NEEDS]) / 1000 / 24
        self.rng = model.streams.get("residents.arrivals")
        self.rng_help = model.streams.get("residents.helpers")
        self.rng_order = model.streams.get("residents.public_order")
        self._first_down = self._first_down_times()
        self._services = self._service_table()
        # The ways to the nearest open points, for the open set they were found for.
        none_open = np.zeros(self.n_p, dtype=bool)
        self._ways_key = none_open.tobytes()
        self._ways = (self._nearest(none_open, self.cand_walk),
                      self._nearest(none_open, self.cand >= 0))
        # State per point.
        n = self.n_p
        self.backlog_work = np.zeros(n)
        self.backlog = np.zeros((n, len(NEEDS)))
        sup = self.sp.supplies
        self.water = np.zeros(n)
        self.food = np.zeros(n)
        self.blankets = np.zeros(n)
        self.pending = np.zeros(n, dtype=bool)
        slices_warm = max(1, round(self.pp.warmth_stay_h / self.pp.slice_h))
        self.warm_ring = np.zeros((slices_warm, n))
        slices_help = max(1, round(p.staffing.spontaneous.stay_h / self.pp.slice_h))
        self.help_ring = np.zeros((slices_help, n))
        self.emergency_acc = np.zeros(n)
        self.emergency_delay = np.zeros(n)
        # Regional stock per region, from the affected residents.
        affected = set(model.scenario.affected_codes())
        self.regional: dict[str, np.ndarray] = {}
        for region, group in m.groupby("region", sort=True):
            res = float(group.loc[group["code"].isin(affected), "population"].sum()) / 1000.0
            self.regional[str(region)] = np.array([
                sup.regional_water_l_per_1000 * res, sup.regional_food_rations_per_1000 * res,
                sup.regional_blankets_per_1000 * res])
        # Per point: open in full (1), reduced (0.5) or not (0), and staff on duty, kept
        # current by the points themselves (LocalPoint.update).
        self._state_now = np.array([STATE_VALUE[pt.state] for pt in points], dtype=float)
        self._staff_now = np.array([len(pt.post.on_duty) for pt in points], dtype=float)
        for k, pt in enumerate(points):
            pt.residents_index = k
            pt.sink = (self._state_now, self._staff_now)
        regions = list(self.regional)
        self._point_region = np.array([regions.index(pt.site.region) for pt in points],
                                      dtype=np.int64)
        # Per-visit goods.
        self.water_per_visit = self.pp.water_l_per_person_day * self.pp.household_size
        self.food_per_visit = self.pp.household_size
        self._rows: list[np.ndarray] = []
        self._arr_need: list[np.ndarray] = []
        self._srv_need: list[np.ndarray] = []
        self._reach: list[np.ndarray] = []
        self._reach_full: list[np.ndarray] = []
        self._full_key = b""
        self._full_reach: np.ndarray = np.zeros(len(self.codes))
        self._unmet: list[np.ndarray] = []
        self._arisen: list[np.ndarray] = []
        self._repowered: list[np.ndarray] = []
        self._open: list[np.ndarray] = []
        self._times: list[float] = []

    # --- needs per municipality --------------------------------------------------------

    def _first_down_times(self) -> dict[str, np.ndarray]:
        """Per municipality: when the grid and each service first failed (inf: never)."""
        out = {}
        grid = self.model.grid.timelines
        cascade = self.model.cascade.timelines
        for name in SERVICES:
            first = np.full(len(self.codes), np.inf)
            for i, code in enumerate(self.codes):
                tl = grid[code] if name == "grid" else cascade[(code, name)]
                for t, v in zip(tl.times, tl.values, strict=True):
                    if not v:
                        first[i] = t
                        break
            out[name] = first
        return out

    def _service_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every service's state per municipality between all change times, up front.

        Returns the change times (with -inf first) and, from each, the [municipality,
        service] states of grid, mobile, fixed network, water pressure and heating.
        """
        grid = self.model.grid.timelines
        cascade = self.model.cascade.timelines
        lines = [[grid[code], *(cascade[(code, name)] for name in SERVICES[1:])]
                 for code in self.codes]
        times = np.unique(np.concatenate(
            [[-np.inf], *(tl.times for row in lines for tl in row)]))
        table = np.ones((len(times), len(self.codes), len(SERVICES)), dtype=bool)
        for i, row in enumerate(lines):
            for j, tl in enumerate(row):
                table[:, i, j] = tl.values_at(times)
        return times, table

    def rates(self, t: float) -> np.ndarray:
        """Visits per resident per hour, [municipality, need], at time ``t``."""
        times, table = self._services
        up = table[max(int(np.searchsorted(times, t, side="right")) - 1, 0)].copy()
        # Never out yet: every service works.
        up[up[:, 0] & (self._first_down["grid"] > t), 1:] = True
        share = self.model.transformers.share_at(t)  # re-powered by the grid operator
        return powered_mix(up, t, self._first_down, self.pp, self.per_h, share)

    # --- the slice loop ----------------------------------------------------------------

    def process(self) -> Generator[simpy.Event, None, None]:
        """Advance the visitor streams slice by slice up to the horizon."""
        env = self.model.env
        length = self.pp.slice_h
        horizon = self.model.params.horizon_h
        while env.now < horizon - 1e-9:
            step = min(length, horizon - env.now)
            self.slice(env.now, step)
            yield env.timeout(step)

    def _reach_operational(self, full: np.ndarray) -> np.ndarray:
        """Per municipality: residents within reach of an operational (powered) point."""
        key = full.tobytes()
        if key != self._full_key:  # changes only when a point opens, closes or loses power
            frac = reach_fraction(full, self.cand, self.cand_walk, self.pp.access.cycling_share)
            self._full_reach = np.bincount(self.dp_m, weights=self.dp_res * frac,
                                           minlength=len(self.codes))
            self._full_key = key
        return self._full_reach

    def _states(self) -> tuple[np.ndarray, np.ndarray]:
        """Per point: open in full (1), reduced (0.5) or not (0); staff on duty."""
        return self._state_now.copy(), self._staff_now.copy()

    def slice(self, t0: float, length: float) -> None:
        """One slice starting now: arrivals, queues, goods, reports."""
        m = self.model
        pp = self.pp
        st = m.params.staffing
        state, on_duty = self._states()
        is_open = state > 0
        # A point that closed loses its queue: those admitted leave unserved (counted).
        lost = (~is_open) & (self.backlog_work > 0)
        left = np.where(lost, self.backlog.sum(axis=1), 0.0)
        self.backlog_work[lost], self.backlog[lost] = 0.0, 0.0
        # Arrivals per demand point and need (drawn in full every slice).
        lam = self.dp_res[:, None] * self.rates(t0 + length / 2)[self.dp_m] * length
        n = self.rng.poisson(lam).astype(float)
        cyc = self.rng.binomial(n.astype(np.int64), pp.access.cycling_share).astype(float)
        walk = n - cyc
        key = is_open.tobytes()
        if key != self._ways_key:  # the ways change only when points open or close
            self._ways = (self._nearest(is_open, self.cand_walk),
                          self._nearest(is_open, self.cand >= 0))
            self._ways_key = key
        (rows_w, pts_w, share_w, ok_w), (rows_c, pts_c, share_c, ok_c) = self._ways
        n_m = len(self.codes)
        n_k = len(NEEDS)
        miss = walk * ~ok_w[:, None] + cyc * ~ok_c[:, None]
        by_m = sum_rows(self.dp_m, n_m, miss, n)
        unmet, arisen = by_m[:, :n_k], by_m[:, n_k:]
        # The expected arrivals take the same ways; the queue runs on them (see queueing).
        walk_e = lam * (1.0 - pp.access.cycling_share)
        cyc_e = lam * pp.access.cycling_share
        by_w = sum_rows(pts_w, self.n_p, walk[rows_w], walk_e[rows_w], weights=share_w)
        by_c = sum_rows(pts_c, self.n_p, cyc[rows_c], cyc_e[rows_c], weights=share_c)
        arrived = by_w[:, :n_k] + by_c[:, :n_k]
        expected = by_w[:, n_k:] + by_c[:, n_k:]
        frac = (1 - pp.access.cycling_share) * ok_w + pp.access.cycling_share * ok_c
        reach = np.bincount(self.dp_m, weights=self.dp_res * frac, minlength=n_m)
        reach_full = self._reach_operational(state == 1.0)
        # Travel time of emergency visitors, for the report delay.
        em = K["emergency"]
        acc = pp.access
        travel = (np.bincount(pts_w, weights=walk[rows_w, em] * share_w
                              * (self.dist_km[rows_w, pts_w] / acc.walk_kmh), minlength=self.n_p)
                  + np.bincount(pts_c, weights=cyc[rows_c, em] * share_c
                                * (self.dist_km[rows_c, pts_c] / acc.cycle_kmh),
                                minlength=self.n_p))

        # What each point can offer (to the visits drawn, and likewise to those expected).
        wanted = arrived.copy()
        wanted_e = expected.copy()
        not_offered = np.zeros(self.n_p)
        reduced = state == 0.5
        for need in NEEDS_POWER:
            k = K[need]
            not_offered += wanted[:, k] * reduced
            wanted[:, k] *= ~reduced
            wanted_e[:, k] *= ~reduced
        no_supplies = np.zeros(self.n_p)
        for k, stock, per in ((K["water"], self.water, self.water_per_visit),
                              (K["food"], self.food, self.food_per_visit)):
            limit = np.floor(stock / per + 1e-9)
            can = np.minimum(wanted[:, k], limit)
            no_supplies += wanted[:, k] - can
            wanted[:, k] = can
            wanted_e[:, k] = np.minimum(wanted_e[:, k], limit)
        wk = K["warmth"]
        places = np.maximum(self.capacity - self.warm_ring.sum(axis=0), 0.0)
        room = np.minimum(wanted[:, wk], places)
        no_supplies += wanted[:, wk] - room
        wanted[:, wk] = room
        wanted_e[:, wk] = np.minimum(wanted_e[:, wk], places)

        # Counter staff and spontaneous helpers.
        daytime = st.day_start_hour <= m.local_hour(t0) < st.day_end_hour
        helpers_rate = st.spontaneous.per_point_day / 24.0 * length
        new_helpers = self.rng_help.poisson(helpers_rate, size=self.n_p).astype(float)
        new_helpers *= is_open * daytime
        counter = on_duty * (1.0 - pp.outreach.staff_share) * is_open
        helpers = np.minimum(self.help_ring.sum(axis=0), st.spontaneous.per_staff * counter)
        register = new_helpers * st.spontaneous.register_h / length
        staff = np.maximum(counter + helpers - register, 0.0) * is_open
        self.help_ring = np.roll(self.help_ring, 1, axis=0)
        self.help_ring[0] = new_helpers

        # The queue, on the expected load with its mix of needs; the visits drawn are
        # admitted, served and kept waiting in the same proportions.
        work = wanted_e @ self.service_h
        visits_e = wanted_e.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_h = np.where(visits_e > 0, work / visits_e, 0.0)
            cv2 = np.where(mean_h > 0, (wanted_e @ self.service_h ** 2)
                           / np.maximum(visits_e, 1e-300) / mean_h ** 2 - 1.0, 1.0)
        light = light_traffic_ratio(staff, self.service_h, wanted_e)
        out = fluid_slice(self.backlog_work, work, staff, length, pp.patience_h,
                          visits=visits_e, service_cv2=np.maximum(cv2, 0.0),
                          light_ratio=light)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_in = np.where(work > 0, out.admitted / work, 0.0)
            from_backlog = np.where(self.backlog_work > 0,
                                    np.minimum(out.served / self.backlog_work, 1.0), 0.0)
            adm_work = out.admitted
            new_served = np.where(adm_work > 0, np.clip(
                (out.served - self.backlog_work) / adm_work, 0.0, 1.0), 0.0)
        admitted = wanted * share_in[:, None]
        served = self.backlog * from_backlog[:, None] + admitted * new_served[:, None]
        self.backlog = (self.backlog * (1 - from_backlog[:, None])
                        + admitted * (1 - new_served[:, None]))
        self.backlog_work = out.backlog
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_wait = np.where(adm_work > 0, out.wait_integral / adm_work, 0.0)
        turned = (wanted - admitted).sum(axis=1)

        # Goods handed out on admission.
        self.water = np.maximum(self.water - admitted[:, K["water"]] * self.water_per_visit, 0.0)
        self.food = np.maximum(self.food - admitted[:, K["food"]] * self.food_per_visit, 0.0)
        self.blankets = np.maximum(self.blankets - admitted[:, wk], 0.0)
        self.warm_ring = np.roll(self.warm_ring, 1, axis=0)
        self.warm_ring[0] = admitted[:, wk]
        if self.sp.supplies.close_when_out:
            self.check_stock()

        self._reports(served[:, em], travel, arrived[:, em], mean_wait, t0)
        self._public_order(is_open, no_supplies, mean_wait, length)
        self._reorder(is_open)

        row = np.zeros((self.n_p, len(POINT_COLUMNS)))
        row[:, 0] = arrived.sum(axis=1)
        row[:, 1] = admitted.sum(axis=1)
        row[:, 2] = served.sum(axis=1)
        row[:, 3] = turned
        row[:, 4] = no_supplies
        row[:, 5] = not_offered
        row[:, 6] = mean_wait * admitted.sum(axis=1)
        row[:, 7] = self.backlog.sum(axis=1)
        row[:, 8] = counter
        row[:, 9] = helpers
        row[:, 10], row[:, 11], row[:, 12] = self.water, self.food, self.blankets
        row[:, 13] = self.warm_ring.sum(axis=0)
        row[:, 14] = left
        self._rows.append(row)
        self._arr_need.append(arrived)
        self._srv_need.append(served)
        self._reach.append(reach)
        self._reach_full.append(reach_full)
        self._unmet.append(unmet)
        self._arisen.append(arisen)
        self._repowered.append(self.model.transformers.share_at(t0))
        self._open.append(np.stack([state, counter, on_duty * is_open], axis=1))
        self._times.append(t0)

    def _nearest(self, is_open: np.ndarray, within: np.ndarray) -> Way:
        """Where each demand point's visitors go: the nearest open points among ``within``.

        Visitors split evenly over the open points within ``access.spread_km`` of the
        nearest (a population centre stands for a whole village or town). Returns
        (demand point, point, share) triples and whether each demand point has an open
        point at all.
        """
        ok = within & is_open[np.maximum(self.cand, 0)]
        first = ok.argmax(axis=1)
        rows = np.arange(len(self.cand))
        found = ok[rows, first]
        nearest_km = self.cand_km[rows, first]
        band = self.pp.access.spread_km + 1e-6
        tie = ok & (self.cand_km <= nearest_km[:, None] + band) & found[:, None]
        count = tie.sum(axis=1)
        r, w = np.nonzero(tie)
        return r, self.cand[r, w], 1.0 / count[r], found

    # --- consequences ------------------------------------------------------------------

    def _reports(self, served: np.ndarray, travel: np.ndarray, arrived: np.ndarray,
                 mean_wait: np.ndarray, t0: float) -> None:
        """Emergency reports served at points go to the meldkamer as one message per point."""
        m = self.model
        with np.errstate(divide="ignore", invalid="ignore"):
            pre = np.where(arrived > 0, travel / arrived, 0.0) + mean_wait
        self.emergency_delay = np.where(served > 0, pre, self.emergency_delay)
        self.emergency_acc += served
        for k in np.flatnonzero(self.emergency_acc >= 1.0):
            count = int(self.emergency_acc[k])
            self.emergency_acc[k] -= count
            pt = self.points[k]
            msg = m.send_to_meldkamer("emergency", pt.site)
            m.rec.add(t0, "emergency_reports", pt.site.municipality, pt.site.id,
                      value=count, detail=f"{msg}:{self.emergency_delay[k]:.4f}")

    def _public_order(self, is_open: np.ndarray, short: np.ndarray, wait: np.ndarray,
                      length: float) -> None:
        po = self.pp.public_order
        u = self.rng_order.random(self.n_p)
        hit = is_open & (short > 0) & (wait >= po.wait_h) & (u < po.chance_per_h * length)
        m = self.model
        for k in np.flatnonzero(hit):
            pt = self.points[k]
            msg = m.send_to_meldkamer("police_request", pt.site)
            m.rec.add(m.env.now, "public_order", pt.site.municipality, pt.site.id,
                      value=float(short[k]), detail=msg)

    def first_delivery(self, point: LocalPoint) -> None:
        """The first supplies reach a newly activated point."""
        self._deliver(point.residents_index)

    def _reorder(self, is_open: np.ndarray) -> None:
        sup = self.sp.supplies
        low = ((self.water < sup.reorder_share * sup.water_l)
               | (self.food < sup.reorder_share * sup.food_rations))
        in_stock = np.array([stock[:2].sum() > 0 for stock in self.regional.values()])
        for k in np.flatnonzero(low & is_open & ~self.pending & in_stock[self._point_region]):
            pt = self.points[k]
            self.pending[k] = True
            m = self.model
            depot = m.bases[pt.site.region]
            delay = self.sp.supplies_loading_h + m.travel.between(depot, pt.site.location)
            Timer(m.env, delay, functools.partial(self._deliver, int(k)))

    def _deliver(self, k: int) -> None:
        sup = self.sp.supplies
        pt = self.points[k]
        stock = self.regional[pt.site.region]
        # Per good (in plain floats, as the arrays would add them): what is wanted, as
        # far as the regional stock goes.
        give = [min(max(full - float(have[k]), 0.0), float(left))
                for full, have, left in zip((sup.water_l, sup.food_rations, sup.blankets),
                                            (self.water, self.food, self.blankets), stock,
                                            strict=True)]
        stock -= give
        self.water[k] += give[0]
        self.food[k] += give[1]
        self.blankets[k] += give[2]
        self.pending[k] = False
        m = self.model
        m.rec.add(m.env.now, "supplies_delivered", pt.site.municipality, pt.site.id,
                  value=give[0], detail=f"{give[1]:.0f}:{give[2]:.0f}")
        pt.set_stocked(self.has_goods(k))

    def has_goods(self, k: int) -> bool:
        """Whether a point still has water or food to hand out."""
        return bool(self.water[k] >= self.water_per_visit or self.food[k] >= self.food_per_visit)

    def check_stock(self) -> None:
        """Points out of both water and food close (when configured) until resupplied."""
        has = (self.water >= self.water_per_visit) | (self.food >= self.food_per_visit)
        for k in np.flatnonzero(~has):
            pt = self.points[k]
            if pt.supplies:
                pt.set_stocked(False)

    def flows(self) -> Flows:
        """The slice results as arrays."""
        n_p = self.n_p
        width = len(POINT_COLUMNS)
        n_k = len(NEEDS)
        n_m = len(self.codes)

        def stack(rows: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
            return np.stack(rows) if rows else np.zeros((0, *shape))

        return Flows(
            times=np.array(self._times), points=[pt.site.id for pt in self.points],
            at_points=stack(self._rows, (n_p, width)),
            arrived_by_need=stack(self._arr_need, (n_p, n_k)),
            served_by_need=stack(self._srv_need, (n_p, n_k)),
            municipalities=self.codes, residents=self.muni_res,
            in_reach=stack(self._reach, (n_m,)),
            in_reach_operational=stack(self._reach_full, (n_m,)),
            unmet_no_reach=stack(self._unmet, (n_m, n_k)),
            arisen=stack(self._arisen, (n_m, n_k)),
            repowered=stack(self._repowered, (n_m,)),
            open_state=stack(self._open, (n_p, 3)),
            distance_km=self.dist_km, demand_points=self.dp_ids,
            demand_municipality=self.dp_muni,
            water_per_visit=self.water_per_visit, food_per_visit=self.food_per_visit,
        )

