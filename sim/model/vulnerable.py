"""Residents with reduced self-reliance (verminderd zelfredzaam): reached in time or harmed.

Each subgroup (``population.vulnerable``) has a count per 100,000 residents,
spread over the demand points of the affected municipalities. Every case has a
clock that starts when its home municipality loses the grid (device battery,
missed care) or, in winter, its heating (cold at home); harm comes a drawn
``time_to_harm`` later unless, before then, one of these happens:

- the danger ends: the grid (or heating) is back for good (outcome ``restored``),
  or the grid operator put the resident's street on a transformer-house generator
  (``sim.model.grid_operator``; outcome ``repowered``): power for their device and
  their boiler from then on, until the grid is back for good. Each case has its
  place in the grid operator's order, a uniform draw u from the
  ``vulnerable.<group>.repowered`` stream: its street is re-powered from the first
  time its municipality's powered share exceeds u (so the share of the cases
  re-powered follows the share of the residents; the draw is the same in every
  scenario of a seed, so a higher share re-powers every case a lower one did);
- a neighbour helps (samenredzaamheid): with ``neighbour_help_share``, after a
  drawn delay (``neighbour``);
- the resident gets to an open local point within walking distance on their
  own, if able (``can_travel_share``) (``self``);
- an outreach team from the nearest planned point (within
  ``outreach.max_distance_km``) arrives (``outreach``). A case is *known* to the
  point when the point is open and: with a registry, at once for the cases on
  it (``registry_coverage``); otherwise only a drawn delay after its clock
  started (family or neighbours report it). Teams work the known cases by
  subgroup priority, then by when they became known; their capacity is a share
  of the staff on duty at the point, slice by slice.

With the care chain on (``population.care.enabled``, see ``sim.model.care``),
home-care providers reach their clients, suppliers the patients on their lists
and ambulances those whose alarm reached the meldkamer; residents on a device
(``needs_power``) are then safe only with power (a supplier, an ambulance, or a
local point with power they reach on their own): a neighbour, carer or outreach
team who finds them raises the alarm instead.

Outcomes: ``unaffected`` (the clock never started within the horizon),
``restored`` and ``repowered`` (the danger ends before harm would come: not in
danger, whatever help came), and for the cases *in danger*: who reached them first, before
harm (``care_provider``, ``supplier``, ``ambulance``, ``outreach``,
``neighbour``, ``self``), ``harmed``, ``at_risk`` (neither by the horizon).
Whether a case is in danger does not depend on help, so the share reached in
time (reached / in danger) compares fairly across scenarios.

This runs after the SimPy run, on the point states and staff recorded per
slice (``residents.Flows``): outreach takes staff time that is set aside
(``outreach.staff_share``), so it does not feed back into the rest of the run.
Every case's random numbers come from the ``vulnerable.<group>`` stream in a
fixed order, so scenarios compare case by case (common random numbers).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from sim.mathutil import apportion
from sim.model.care import (
    Region,
    alarm_requests,
    ambulance_times,
    home_care_times,
    supplier_times,
)
from sim.model.flows import Flows
from sim.model.timeline import Timeline
from sim.params.population import PopulationParams
from sim.streams import Streams

if TYPE_CHECKING:
    from sim.model.grid_operator import TransformerPlan

#: Outcomes that count as reached before harm, in the order that breaks ties.
REACHED = ("care_provider", "supplier", "ambulance", "outreach", "neighbour", "self")
OUTCOMES = (*REACHED, "restored", "repowered", "harmed", "at_risk", "coped", "unaffected")


def danger_window(timeline: Timeline, horizon: float) -> tuple[float, float]:
    """When a service first fails and when it is back for good (inf: never / not by then)."""
    first = next((t for t, v in zip(timeline.times, timeline.values, strict=True) if not v),
                 np.inf)
    if first == np.inf:
        return np.inf, np.inf
    last_up = timeline.values[-1]  # noqa: PD011 - a Timeline, not a DataFrame
    end = timeline.last_change() if last_up else np.inf
    return float(first), float(end if end <= horizon else np.inf)


def _next_open(open_any: np.ndarray) -> np.ndarray:
    """[slice, column]: the first slice at or after each with the column open (n: never)."""
    n = len(open_any)
    out = np.full(open_any.shape, n, dtype=int)
    nxt = np.full(open_any.shape[1:], n, dtype=int)
    for j in range(n - 1, -1, -1):
        nxt = np.where(open_any[j], j, nxt)
        out[j] = nxt
    return out


def _first_open_after(times: np.ndarray, slice_h: float, nxt: np.ndarray, t: np.ndarray,
                      column: np.ndarray) -> np.ndarray:
    """Earliest time >= t at which ``column`` is open (inf: not within the run)."""
    n = len(times)
    out = np.full(len(t), np.inf)
    ok = np.isfinite(t) & (column >= 0)
    j0 = np.minimum((t[ok] / slice_h).astype(int), n)
    safe = np.where(j0 < n, j0, 0)
    j = np.where(j0 < n, nxt[safe, column[ok]], n)
    found = j < n
    vals = np.full(len(j), np.inf)
    vals[found] = np.maximum(times[j[found]], t[ok][found])
    out[ok] = vals
    return out


def _any_within(open_points: np.ndarray, within: np.ndarray | sparse.csr_array) -> np.ndarray:
    """[slice, demand point]: whether any open point is within reach.

    ``open_points``: [slice, point]; ``within``: [demand point, point], best sparse
    (few points are within reach of each). Counted as a product of floats (exact for
    these counts).
    """
    counts = sparse.csr_array(within, dtype=np.float64) @ open_points.T.astype(np.float64)
    return np.asarray(counts).T > 0.5


def repowered_times(plan: TransformerPlan | None, column: np.ndarray,
                    u: np.ndarray) -> np.ndarray:
    """When each case's street is re-powered on a transformer-house generator (inf: never).

    ``column``: each case's municipality, as a column of ``plan.shares``; ``u``: its
    place in the grid operator's order. The first change time at which the
    municipality's powered share exceeds ``u`` (the share only falls when the grid is
    back there for good, so the running maximum gives the same first time).
    """
    out = np.full(len(u), np.inf)
    if plan is None or not plan.placements or not len(u):
        return out
    reached = np.maximum.accumulate(plan.shares, axis=0)
    for j in np.unique(column):
        rows = np.flatnonzero(column == j)
        k = np.searchsorted(reached[:, j], u[rows], side="right")
        found = k < len(plan.times)
        out[rows[found]] = plan.times[k[found]]
    return out


def simulate_cases(pp: PopulationParams, flows: Flows, streams: Streams,
                   grid: Mapping[str, Timeline], heating: Mapping[str, Timeline],
                   affected: Sequence[str], demand_residents: np.ndarray,
                   horizon: float, slice_h: float,
                   region: Region | None = None,
                   repowered: TransformerPlan | None = None) -> pd.DataFrame:
    """Every vulnerable case of the run and its outcome (one row per case).

    ``region``: what the care chain needs (municipalities' regions, residents and
    services); without it, or with the care chain off, only neighbours, the
    residents themselves and outreach teams reach them. ``repowered``: the grid
    operator's placements (None or none placed: no street is re-powered).
    """
    care_on = pp.care.enabled and region is not None
    codes_dp = np.asarray(flows.demand_municipality, dtype=object)
    affected_set = set(affected)
    times = flows.times
    n_t = len(times)
    open_pts = flows.open_state[:, :, 0] > 0 if n_t else np.zeros((0, len(flows.points)), bool)
    dist = flows.distance_km
    walk_ok = dist <= pp.access.walk_km
    # Per demand point: open point within walking distance, per slice; nearest planned point.
    within = sparse.csr_array(walk_ok, dtype=np.float64)  # few points within walking reach
    open_walk = _any_within(open_pts, within) if n_t else \
        np.zeros((0, len(codes_dp)), bool)
    nxt_walk = _next_open(open_walk) if n_t else np.zeros((0, len(codes_dp)), int)
    # Residents on a device are safe at a point only if it has power (open with all services).
    powered = flows.open_state[:, :, 0] >= 1.0 if n_t else np.zeros((0, len(flows.points)), bool)
    nxt_walk_power = (_next_open(_any_within(powered, within))
                      if n_t and care_on else nxt_walk)
    nxt_point = _next_open(open_pts) if n_t else np.zeros((0, len(flows.points)), int)
    walk_h = np.where(walk_ok, dist, np.inf).min(axis=1, initial=np.inf) / pp.access.walk_kmh
    if dist.shape[1]:
        nearest = dist.argmin(axis=1)
        assigned = np.where(dist[np.arange(len(dist)), nearest] <= pp.outreach.max_distance_km,
                            nearest, -1)
        travel = dist[np.arange(len(dist)), np.maximum(nearest, 0)] / pp.outreach.speed_kmh
    else:
        assigned = np.full(len(dist), -1)
        travel = np.zeros(len(dist))
    windows = {
        "grid": {c: danger_window(tl, horizon) for c, tl in grid.items()},
        "heating": {c: danger_window(tl, horizon) for c, tl in heating.items()},
    }
    plan_column = {c: j for j, c in enumerate(repowered.codes)} if repowered else {}
    dp_column = np.array([plan_column.get(str(c), -1) for c in codes_dp], dtype=np.int64)
    frames = []
    ou = pp.outreach
    for group in pp.vulnerable:
        counts = np.zeros(len(codes_dp), dtype=np.int64)
        for code in sorted(affected_set):
            idx = np.flatnonzero(codes_dp == code)
            if not len(idx):
                continue
            total = round(float(demand_residents[idx].sum()) * group.per_100k / 1e5)
            counts[idx] = apportion(total, demand_residents[idx]) if total else 0
        dp = np.repeat(np.arange(len(codes_dp)), counts)
        n = len(dp)
        rng = streams.get(f"vulnerable.{group.name}")
        to_harm = group.time_to_harm.sample_many(rng, n)
        u_neighbour = rng.random(n)
        neighbour_delay = group.neighbour_delay.sample_many(rng, n)
        u_travel = rng.random(n)
        u_registry = rng.random(n)
        report_delay = ou.known_without_registry.sample_many(rng, n)
        at_risk = rng.random(n) < group.at_risk_share
        clock_kind = "heating" if group.clock == "heating" else "grid"
        win = windows[clock_kind]
        start = np.array([win[c][0] for c in codes_dp[dp]]) if n else np.zeros(0)
        end = np.array([win[c][1] for c in codes_dp[dp]]) if n else np.zeros(0)
        if clock_kind == "heating" and not pp.winter:
            start = np.full(n, np.inf)  # no cold outside winter
        start = np.where(start < horizon, start, np.inf)
        # Power (and so heating) for the case's street from the grid operator's unit;
        # drawn from a stream of its own, so every other draw stays as it was.
        powered_at = repowered_times(
            repowered, dp_column[dp],
            streams.get(f"vulnerable.{group.name}.repowered").random(n))
        end = np.minimum(end, powered_at)
        harm = np.where(at_risk, start + to_harm, np.inf)  # the others cope on their own
        neighbour = np.where(u_neighbour < group.neighbour_help_share,
                             start + neighbour_delay, np.inf)
        can_travel = u_travel < group.can_travel_share
        self_at = np.full(n, np.inf)
        to_point = np.full(n, np.inf)  # when someone from the home reaches an open point
        if n_t and n:
            reach = _first_open_after(times, slice_h, nxt_walk, start, dp)
            to_point = reach + walk_h[dp]
            if care_on and group.needs_power:
                reach = _first_open_after(times, slice_h, nxt_walk_power, start, dp)
            self_at = np.where(can_travel, reach + walk_h[dp], np.inf)
        on_registry = ou.registry & (u_registry < ou.registry_coverage)
        ask = np.where(on_registry, start, start + report_delay)
        point = assigned[dp] if n else np.zeros(0, dtype=int)
        known = (_first_open_after(times, slice_h, nxt_point, ask, point)
                 if n_t and n else np.full(n, np.inf))
        frame = pd.DataFrame({
            "group": group.name, "priority": group.priority, "demand_point": dp,
            "clock_start": start, "harm_at": harm, "danger_end": end,
            "repowered_at": powered_at,
            "neighbour_at": neighbour, "self_at": self_at, "known_at": known,
            "point": point, "travel_h": travel[dp] if n else np.zeros(0),
        })
        if care_on:
            # Drawn after the draws above, so those stay as they were (common random numbers).
            u = rng.random((n, 4))
            sup = pp.care.suppliers.get(group.supplier or "")
            frame["needs_power"] = group.needs_power
            frame["client"] = u[:, 0] < group.care_client_share
            frame["supplier"] = group.supplier or ""
            frame["on_list"] = (u[:, 1] < sup.list_share) if sup is not None else False
            frame["list_order"] = u[:, 3]
            frame["calls_at"] = np.where(
                u[:, 2] < group.calls_112_share,
                start + pp.care.ambulance.call_at_share * to_harm, np.inf)
            frame["to_point"] = to_point
            # The registry also records who has family or neighbours to look in on them.
            frame["network_known"] = on_registry & np.isfinite(neighbour)
        frames.append(frame)
    cases = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if cases.empty:
        return _finish(cases, flows, horizon)
    if not care_on:
        safe = np.minimum(cases["neighbour_at"].to_numpy(), cases["self_at"].to_numpy())
        cases["outreach_at"] = _outreach(cases, flows, pp, slice_h, horizon, safe)
        return _finish(cases, flows, horizon)
    assert region is not None
    _care_chain(cases, flows, pp, slice_h, horizon, region)
    return _finish(cases, flows, horizon, care=True)


def _care_chain(cases: pd.DataFrame, flows: Flows, pp: PopulationParams, slice_h: float,
                horizon: float, region: Region) -> None:
    """Suppliers, home care, outreach and ambulances, in that order (see ``sim.model.care``)."""
    care = pp.care
    codes = np.asarray(flows.demand_municipality, dtype=object)[cases["demand_point"]]
    arrays = {
        "supplier": cases["supplier"].to_numpy(dtype=object),
        "on_list": cases["on_list"].to_numpy(bool),
        "client": cases["client"].to_numpy(bool),
        "clock_start": cases["clock_start"].to_numpy(float),
        "harm_at": cases["harm_at"].to_numpy(float),
        "priority": cases["priority"].to_numpy(float),
        "list_order": cases["list_order"].to_numpy(float),
        "municipality": codes,
        "region": np.array([region.region_of[str(c)] for c in codes], dtype=object),
    }
    device = cases["needs_power"].to_numpy(bool)
    danger = np.minimum(arrays["harm_at"], cases["danger_end"].to_numpy())
    neighbour = cases["neighbour_at"].to_numpy()
    self_at = cases["self_at"].to_numpy()
    # Safe so far: residents on a device only with power (on their own: a powered point).
    safe = np.where(device, self_at, np.minimum(neighbour, self_at))
    supplier_at = supplier_times(arrays, care, region, np.minimum(danger, safe))
    safe = np.minimum(safe, supplier_at)
    care_at = home_care_times(arrays, care, region, np.minimum(danger, safe))
    safe = np.minimum(safe, np.where(device, np.inf, care_at))
    # Outreach teams leave to the supplier the patients it reaches before harm, and to the
    # carer the clients it reaches before harm: the municipality, the care providers and
    # the suppliers share who looks after whom. The others get a team (which, for a
    # resident on a device, raises the alarm).
    harm = arrays["harm_at"]
    handled = ((device & (supplier_at < harm)) | (arrays["client"] & (care_at < harm)))
    outreach_at = _outreach(cases, flows, pp, slice_h, horizon,
                            np.where(handled, -np.inf, safe),
                            later=cases["network_known"].to_numpy(bool))
    safe = np.minimum(safe, np.where(device, np.inf, outreach_at))
    # Alarms for residents on a device: 112 from home, or whoever found them.
    to_point = cases["to_point"].to_numpy()
    report = care.ambulance.report_h

    def alarm(found: np.ndarray) -> np.ndarray:
        phones = region.phones_at(codes, found)
        # Without phones the finder walks to the nearest open point, as the resident would.
        via = np.where(np.isfinite(found), np.maximum(found, to_point), np.inf)
        return alarm_requests(found, phones, via, report)

    calls = cases["calls_at"].to_numpy()
    called = np.where(region.phones_at(codes, calls), calls, np.inf)
    back = outreach_at + cases["travel_h"].to_numpy() + report  # the team reports at its point
    request = np.where(device, np.minimum.reduce([called, alarm(neighbour), alarm(care_at),
                                                  back]), np.inf)
    ambulance_at = ambulance_times(request, arrays, care, region, np.minimum(danger, safe))
    cases["care_at"] = np.where(device, np.inf, care_at)
    cases["care_visit_at"] = care_at
    cases["supplier_at"] = supplier_at
    cases["outreach_at"] = np.where(device, np.inf, outreach_at)
    cases["outreach_visit_at"] = outreach_at
    cases["ambulance_requested_at"] = request
    cases["ambulance_at"] = ambulance_at
    # Neighbours and outreach raise the alarm for residents on a device; they do not
    # make them safe.
    cases["neighbour_help_at"] = neighbour
    cases["neighbour_at"] = np.where(device, np.inf, neighbour)


def _outreach(cases: pd.DataFrame, flows: Flows, pp: PopulationParams, slice_h: float,
              horizon: float, safe: np.ndarray,
              later: np.ndarray | None = None) -> np.ndarray:
    """When an outreach team reaches each case (inf: not before harm or the horizon).

    ``safe``: when each case is already safe otherwise (teams skip it from then on);
    ``later``: cases the team visits after the others of their subgroup (the registry
    says someone looks in on them).
    """
    ou = pp.outreach
    out = np.full(len(cases), np.inf)
    stop = np.minimum(np.minimum(cases["harm_at"].to_numpy(), cases["danger_end"].to_numpy()),
                      safe)
    known = cases["known_at"].to_numpy()
    # Only cases known while still in danger and not yet helped need a team.
    need = np.isfinite(known) & (known < stop) & (known < horizon)
    if not need.any():
        return out
    staff = flows.open_state[:, :, 2] if len(flows.times) else np.zeros((0, 0))
    teams = staff * ou.staff_share / ou.team_size
    prio = cases["priority"].to_numpy() * 2 + (later if later is not None else 0)
    travel = cases["travel_h"].to_numpy()
    points = cases["point"].to_numpy()
    idx = np.flatnonzero(need)
    order = idx[np.lexsort((idx, known[idx], points[idx]))]
    times = flows.times
    bounds = np.flatnonzero(np.diff(points[order])) + 1
    for group in np.split(order, bounds):
        p = int(points[group[0]])
        queue: list[tuple[int, float, int]] = []
        pos = 0
        for j in np.flatnonzero(teams[:, p] > 0):
            t0 = float(times[j])
            t1 = t0 + slice_h
            rate = float(teams[j, p])
            while pos < len(group) and known[group[pos]] < t1:
                i = int(group[pos])
                heapq.heappush(queue, (int(prio[i]), float(known[i]), i))
                pos += 1
            tau = t0
            while queue and tau < t1:
                _, k, i = queue[0]
                if k >= t1:
                    break
                heapq.heappop(queue)
                start = max(tau, k)
                if stop[i] <= start:
                    continue  # harmed, helped or out of danger before a team was free
                out[i] = start + travel[i]
                tau = start + (2 * travel[i] + ou.visit_h) / rate
    return out


#: Columns only the care chain fills (inf where it is off).
CARE_COLUMNS = ("care_at", "supplier_at", "ambulance_requested_at", "ambulance_at")
#: Working columns of the care chain, not kept in the case table.
_SCRATCH = ("needs_power", "client", "supplier", "on_list", "list_order", "calls_at", "to_point",
            "network_known", "care_visit_at", "outreach_visit_at", "neighbour_help_at")


#: Outcomes of a case: reached by one of REACHED, or not (see _finish).
_OUTCOMES = np.array([*REACHED, "restored", "harmed", "at_risk", "unaffected", "coped",
                      "repowered"], dtype=object)


def _finish(cases: pd.DataFrame, flows: Flows, horizon: float,
            care: bool = False) -> pd.DataFrame:
    """Outcome per case from the competing times."""
    if cases.empty:
        return pd.DataFrame(columns=["group", "demand_point", "municipality", "outcome"])
    if "outreach_at" not in cases:
        cases["outreach_at"] = np.inf
    for column in CARE_COLUMNS:
        if column not in cases:
            cases[column] = np.inf
    harm = cases["harm_at"].to_numpy()
    end = cases["danger_end"].to_numpy()
    reached_by = {"care_provider": "care_at", "supplier": "supplier_at",
                  "ambulance": "ambulance_at", "outreach": "outreach_at",
                  "neighbour": "neighbour_at", "self": "self_at"}
    helps = np.stack([cases[reached_by[r]].to_numpy() for r in REACHED], axis=1)
    first = helps.min(axis=1)
    start = cases["clock_start"].to_numpy()
    # The outcome as an index into _OUTCOMES: the first condition that holds wins.
    n_r = len(REACHED)
    code = np.select(
        [~np.isfinite(start),   # never out: unaffected
         ~np.isfinite(harm),    # not at risk (no time to harm): they cope on their own
         end <= harm,           # the danger ended first
         (first < harm) & (first <= horizon)],  # reached in time, by the first to come
        [n_r + 3, n_r + 4,
         # by the grid operator's unit on their street, or the grid back for good
         np.where(cases["repowered_at"].to_numpy() <= end, n_r + 5, n_r),
         helps.argmin(axis=1)],
        default=np.where(harm <= horizon, n_r + 1, n_r + 2))
    out: dict[str, np.ndarray] = {"case": np.array(list(map("V{:06d}".format,
                                                            range(len(cases)))), dtype=object)}
    drop = {"priority", *_SCRATCH}
    if care:  # what a neighbour did for residents on a device: raised the alarm
        drop.discard("neighbour_help_at")
    for column in cases.columns:
        if column not in drop:
            out[column] = cases[column].to_numpy()
    if care:
        out["neighbour_at"] = out.pop("neighbour_help_at")
    dp = out["demand_point"]
    out["demand_point"] = np.asarray(flows.demand_points, dtype=object)[dp]
    out["point"] = np.asarray([*flows.points, ""], dtype=object)[out["point"]]
    out["in_danger"] = np.isfinite(start) & (harm < end)
    out["reached_at"] = np.where(code < n_r, first, np.inf)
    out["outcome"] = _OUTCOMES[code]
    out["municipality"] = np.asarray(flows.demand_municipality, dtype=object)[dp]
    return pd.DataFrame(out, copy=False)
