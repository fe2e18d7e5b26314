"""The indicators of a run (``summary.json``): pure functions of its event records.

Definitions (also in the README):

- *powered share* of a group of sites at hour h: the share whose power source
  at h is the grid, a fixed or a mobile generator (not "none").
- *generator hours lost to failures*: for each fixed generator, the hours it
  stood broken (failed to start or broke down, until repaired) while the grid
  was off at its site; summed.
- *generator hours lost to empty tanks*: for each generator, the hours it
  stood dry (until refuelled) while the grid was off at its site; summed.
- *fuel wait*: hours from a generator's fuel request (its message leaving
  the site) until the truck finished pumping.
- *message delay*: hours from a message leaving its site until it reached
  its destination, over all hops; grouped by kind and by the channels used.
- *residents without power* at hour h: the residents of municipalities whose
  grid is off at h, less the share the grid operator re-powered on
  transformer-house generators then; the reach shares count only them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.model.engine import ModelResult
from sim.model.flows import POINT_COLUMNS
from sim.model.timeline import Timeline
from sim.model.vulnerable import REACHED
from sim.params.population import NEEDS
from sim.results.aid import aid_indicators
from sim.results.points import points_indicators
from sim.results.records import (
    HOURS_REPORTED,
    affected_sites,
    at_hours,
    describe,
    every_6h,
    field,
    fields,
    hours,
    intervals,
    site_state,
    slice_index,
)


def powered_share(result: ModelResult, roles: Iterable[str], at: np.ndarray) -> pd.Series:
    """Share of the sites with one of ``roles`` in affected municipalities that have power."""
    wanted = set(roles)
    ids = affected_sites(result, [s for s, r in result.site_roles.items() if r in wanted])
    if not ids:
        return pd.Series(np.nan, index=pd.Index(at, name="hour"))
    return site_state(result, "site_power", ids, at).mean(axis=1)


def _grid_off_overlap(timeline: Timeline, start: float, end: float) -> float:
    return sum(max(0.0, min(b, end) - max(a, start))
               for a, b, on in timeline.intervals(end) if not on)


#: Record kinds whose detail is the generator id.
GENERATOR_KINDS = ("generator_failed", "generator_start_failed", "generator_repaired",
                    "generator_dry")


def _generator_of(result: ModelResult) -> pd.DataFrame:
    """Records about generators with a ``generator`` column (from the detail)."""
    frame = result.of_kind(*GENERATOR_KINDS, "fuel_delivered")
    fuel = frame["kind"].to_numpy() == "fuel_delivered"
    generator = frame["detail"].to_numpy(dtype=object, copy=True)
    generator[fuel] = field(generator[fuel], 1)
    frame["generator"] = generator
    return frame[frame["generator"] != ""]


def generator_hours_lost(result: ModelResult) -> dict[str, float]:
    """Hours generators stood broken or dry while the grid was off at their site."""
    frame = _generator_of(result)
    municipality = dict(zip(result.records["site"].to_numpy(),
                            result.records["municipality"].to_numpy(), strict=True))
    lost = {}
    for name, opens, closes in (
        ("failures", ("generator_failed", "generator_start_failed"), ("generator_repaired",)),
        ("empty_tanks", ("generator_dry",), ("fuel_delivered",)),
    ):
        total = 0.0
        for _gen, site, a, b in intervals(frame, opens, closes, "generator", result.horizon_h):
            total += _grid_off_overlap(result.grid.timelines[municipality[site]], a, b)
        lost[name] = total
    return lost


def fuel_indicators(result: ModelResult) -> dict[str, Any]:
    """Deliveries, litres and waiting times, by request kind."""
    req = result.of_kind("fuel_request")
    dlv = result.of_kind("fuel_delivered")
    parts = [d.split(":") for d in dlv["detail"]]
    dlv["wait"] = np.array([float(p[2]) for p in parts], dtype=float)
    dlv["role"] = dlv["site"].map(result.site_roles)
    outside = result.of_kind("outside_fuel_delivered")
    outside_parts = [d.split(":") for d in outside["detail"]]
    outside["kind_"] = [p[0] for p in outside_parts]
    outside["wait"] = np.array([float(p[1]) for p in outside_parts], dtype=float)
    open_requests = set(field(req["detail"], 0)) - {p[0] for p in parts}
    return {
        "requests": len(req),
        "deliveries": len(dlv),
        "open_requests_at_horizon": len(open_requests),
        "litres_delivered": round(float(dlv["value"].sum()), 1),
        "wait_h": describe(dlv["wait"]),
        "wait_h_by_site_kind": {str(k): describe(g["wait"])
                                for k, g in dlv.groupby("role", sort=True)},
        "outside_deliveries": len(outside),
        "outside_litres": round(float(outside["value"].sum()), 1),
        "outside_wait_h_by_kind": {str(k): describe(g["wait"])
                                   for k, g in outside.groupby("kind_", sort=True)},
    }


def message_indicators(result: ModelResult) -> dict[str, Any]:
    """Message delays by kind and by the channels used."""
    msg = result.of_kind("message_delivered")
    parts = [d.split(":") for d in msg["detail"]]
    msg["message"] = [p[0] for p in parts]
    msg["channels"] = [p[2] for p in parts]
    hop_channels = pd.Series([c for p in parts for c in p[2].split("+")], dtype=object)
    return {
        "sent": len(result.of_kind("message_sent")),
        "delivered": len(msg),
        "delay_h": describe(msg["value"]),
        "delay_h_by_kind": {str(k): describe(g["value"])
                            for k, g in msg.groupby("message", sort=True)},
        "delay_h_by_channels": {str(k): describe(g["value"])
                                for k, g in msg.groupby("channels", sort=True)},
        "hops_by_channel": {str(k): int(v)
                            for k, v in hop_channels.value_counts().sort_index().items()},
    }


def mobile_indicators(result: ModelResult) -> dict[str, Any]:
    """Requests for mobile generators and how long sites waited for one."""
    requested = result.of_kind("mobile_requested")
    connected = result.of_kind("mobile_arrived")
    asked: dict[str, list[float]] = {}
    for site, t in zip(requested["site"].to_numpy(), requested["time"].to_numpy(), strict=True):
        asked.setdefault(site, []).append(t)
    arrived: dict[str, list[float]] = {}
    for site, t in zip(connected["site"].to_numpy(), connected["time"].to_numpy(), strict=True):
        arrived.setdefault(site, []).append(t)
    waits = []
    for site in sorted(arrived):
        requests = asked.get(site, [])
        for t in arrived[site]:
            before = [a for a in requests if a <= t]
            if before:
                waits.append(t - max(before))
    return {
        "requests": len(requested),
        "dispatched": len(result.of_kind("mobile_dispatched")),
        "connected": len(connected),
        "wait_h": describe(pd.Series(waits, dtype=float)),
    }


def staffing_indicators(result: ModelResult) -> dict[str, Any]:
    """Staff-hours short at active posts and hours worked, by kind of staff."""
    duty = result.of_kind("staff_on_duty")
    required, active = (f.astype(float) for f in fields(duty["detail"], 0, 1))
    # Each record holds until the post's next record (or the horizon).
    until = duty.groupby("site", sort=False)["time"].shift(-1).fillna(result.horizon_h)
    gap = np.maximum(0.0, required - duty["value"].to_numpy())
    short = float((gap * active * (until.to_numpy() - duty["time"].to_numpy())).sum())
    shifts = result.of_kind("shift_end")
    kinds = pd.Series(fields(shifts["detail"], 1)[0], index=shifts.index, dtype=object)
    worked = shifts.groupby(kinds)["value"].sum()
    volunteer = float(worked.reindex(["fire_volunteer", "red_cross"]).fillna(0).sum())
    return {
        "staff_hours_short": round(short, 2),
        "hours_worked_by_kind": {str(k): round(float(v), 2) for k, v in worked.items()},
        "volunteer_hours_worked": round(volunteer, 2),
        "longest_shift_h": round(float(shifts["value"].max()), 4) if len(shifts) else 0.0,
    }


def still_out(result: ModelResult) -> np.ndarray:
    """[slice, municipality]: whether the municipality is without grid power at the slice.

    The municipality is dark; residents on the grid operator's transformer-house
    generators there are in it too (see :func:`without_power`).
    """
    f = result.flows
    out = np.zeros((len(f.times), len(f.municipalities)), dtype=bool)
    for i, code in enumerate(f.municipalities):
        if code in result.grid.restored_at:
            out[:, i] = ~result.grid.timelines[code].values_at(f.times)
    return out


def without_power(result: ModelResult, out: np.ndarray | None = None) -> np.ndarray:
    """[slice, municipality]: the share of its residents without power at the slice.

    Without grid power (:func:`still_out`) and not re-powered by the grid operator on
    a transformer-house generator (``Flows.repowered``): those have power, as in the
    need rates (``sim.model.needs.powered_mix``). Re-powered streets are taken to be
    spread like the municipality's residents, so the reach of the others is the
    municipality's own.
    """
    out = still_out(result) if out is None else out
    return out * (1.0 - result.flows.repowered)


def residents_without_power(result: ModelResult, at: np.ndarray) -> pd.Series:
    """Residents without power (neither the grid nor a transformer-house generator) at ``at``."""
    f = result.flows
    if not len(f.times):
        return pd.Series(0.0, index=pd.Index(at, name="hour"))
    count = (without_power(result) * f.residents[None, :]).sum(axis=1)
    return pd.Series(count[slice_index(result, at)], index=pd.Index(at, name="hour"))


def reach_share(result: ModelResult, at: np.ndarray,
                out: np.ndarray | None = None, operational: bool = False) -> pd.Series:
    """Share of residents without power within reach of an open local point.

    ``operational``: of an operational one (open with power), the norm's measure.

    Only residents without power count (:func:`without_power`): in a municipality
    without grid power at the time, and not on the grid operator's generators. Once
    nobody is without power (the grid back everywhere and points stood down) the
    share is undefined. ``out``: :func:`without_power`, when the caller has it already.
    """
    f = result.flows
    if not len(f.times):
        return pd.Series(np.nan, index=pd.Index(at, name="hour"))
    out = without_power(result) if out is None else out
    residents = (out * f.residents[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = f.in_reach_operational if operational else f.in_reach
        share = np.where(residents > 0, (reach * out).sum(axis=1) / residents, np.nan)
    return pd.Series(share[slice_index(result, at)], index=pd.Index(at, name="hour"))


def _outage_window(result: ModelResult, deadline_h: float) -> tuple[float, float]:
    """From the operational deadline until the last restoration (within the horizon)."""
    return deadline_h, min(result.grid.last_restoration(), result.horizon_h)


def residents_indicators(result: ModelResult, deadline_h: float) -> dict[str, Any]:
    """Reach, visits, waits, supplies, emergency reports and public order."""
    f = result.flows
    at = hours(result.horizon_h)
    out = without_power(result)
    reach = reach_share(result, at, out)
    lo, hi = _outage_window(result, deadline_h)
    window = reach[(reach.index >= lo) & (reach.index < hi)].dropna()
    reach_full = reach_share(result, at, out, operational=True)
    window_full = reach_full[(reach_full.index >= lo) & (reach_full.index < hi)].dropna()
    by_muni = {}
    if len(f.times):
        s = f.in_reach / np.maximum(f.residents, 1.0)[None, :]
        # From the deadline while some of the municipality's residents are without power.
        rows = (f.times >= lo)[:, None] & (out > 0)
        for i, code in enumerate(f.municipalities):
            if rows[:, i].any():
                by_muni[code] = round(float(s[rows[:, i], i].min()), 4)
    col = {c: i for i, c in enumerate(POINT_COLUMNS)}
    tot = f.at_points.sum(axis=(0, 1)) if len(f.times) else np.zeros(len(POINT_COLUMNS))
    admitted = float(tot[col["admitted"]])
    per_slice = f.at_points[:, :, col["wait_hours"]].sum(axis=1) if len(f.times) else []
    adm_slice = f.at_points[:, :, col["admitted"]].sum(axis=1) if len(f.times) else []
    with np.errstate(divide="ignore", invalid="ignore"):
        slice_wait = np.where(np.asarray(adm_slice) > 0,
                              np.asarray(per_slice) / np.asarray(adm_slice), np.nan)
    by_need = {}
    for k, need in enumerate(NEEDS):
        by_need[need] = {
            "arisen": round(float(f.arisen[:, :, k].sum()), 1),
            "no_point_in_reach": round(float(f.unmet_no_reach[:, :, k].sum()), 1),
            "arrived": round(float(f.arrived_by_need[:, :, k].sum()), 1),
            "served": round(float(f.served_by_need[:, :, k].sum()), 1),
        }
    slice_h = _slice_h(f.times)
    dark = residents_without_power(result, at).round(0)
    return {
        "residents_without_power": {
            "definition": "residents of municipalities without grid power, less those the "
                          "grid operator re-powered on transformer-house generators",
            "at_h": at_hours(dark), "every_6h": every_6h(dark),
        },
        "within_reach_share": {
            "at_h": at_hours(reach), "every_6h": every_6h(reach),
            "min_after_deadline": round(float(window.min()), 4) if len(window) else None,
            "mean_after_deadline": round(float(window.mean()), 4) if len(window) else None,
            "min_after_deadline_by_municipality": by_muni,
        },
        "within_reach_operational_share": {
            "definition": "residents still without power within reach of an operational "
                          "local point (open with power), walking or cycling",
            "at_h": at_hours(reach_full), "every_6h": every_6h(reach_full),
            "min_after_deadline": (round(float(window_full.min()), 4) if len(window_full)
                                   else None),
            "mean_after_deadline": (round(float(window_full.mean()), 4) if len(window_full)
                                    else None),
        },
        "visits": {
            "arisen": round(float(f.arisen.sum()), 1),
            "no_point_in_reach": round(float(f.unmet_no_reach.sum()), 1),
            "arrived": round(float(tot[col["arrived"]]), 1),
            "not_offered_without_power": round(float(tot[col["not_offered"]]), 1),
            "turned_away_no_supplies_or_room": round(float(tot[col["no_supplies"]]), 1),
            "turned_away_queue": round(float(tot[col["turned_away"]]), 1),
            "admitted": round(admitted, 1),
            "served": round(float(tot[col["served"]]), 1),
            "mean_wait_h": round(float(tot[col["wait_hours"]]) / admitted, 4) if admitted
            else None,
            "max_hourly_mean_wait_h": round(float(np.nanmax(slice_wait)), 4)
            if np.isfinite(slice_wait).any() else None,
            "by_need": by_need,
        },
        "spontaneous_helper_hours": round(float(tot[col["helpers"]]) * slice_h, 1),
        "supplies": supplies_indicators(result),
        "emergency_reports": emergency_indicators(result),
        "public_order": public_order_indicators(result),
    }


def supplies_indicators(result: ModelResult) -> dict[str, Any]:
    """Deliveries from the regional stock and points that ran out."""
    dlv = result.of_kind("supplies_delivered")
    states = result.of_kind("point_state")
    out = states[states["detail"] == "out_of_supplies"]
    summary: dict[str, Any] = {
        "deliveries": len(dlv),
        "water_l_delivered": round(float(dlv["value"].sum()), 1),
        "points_out_of_supplies": int(out["site"].nunique()),
    }
    # Visitors came and there was not enough water or food left for one visit.
    f = result.flows
    col = {c: i for i, c in enumerate(POINT_COLUMNS)}
    came = f.at_points[:, :, col["arrived"]] > 0
    for good, column, per_visit in (("water", "water_l", f.water_per_visit),
                                    ("food", "food_rations", f.food_per_visit)):
        short = came & (f.at_points[:, :, col[column]] < per_visit)
        rows = np.flatnonzero(short.any(axis=1))
        summary[f"points_short_of_{good}"] = int(short.any(axis=0).sum())
        summary[f"first_short_of_{good}_h"] = (round(float(f.times[rows[0]]), 2)
                                               if len(rows) else None)
        summary[f"point_hours_short_of_{good}"] = round(
            float(short.sum()) * _slice_h(f.times), 1)
    return summary


def _slice_h(times: np.ndarray) -> float:
    return float(times[1] - times[0]) if len(times) > 1 else 1.0


def _message_delays(result: ModelResult) -> pd.Series:
    """Delay of each delivered message, by message id."""
    msg = result.of_kind("message_delivered")
    ids = [d.rsplit(":", 1)[-1] for d in msg["detail"]]
    return pd.Series(msg["value"].to_numpy(), index=pd.Index(ids, dtype=object))


def emergency_indicators(result: ModelResult) -> dict[str, Any]:
    """Emergency reports brought to points and their delay until the meldkamer has them.

    Delay = the visitor's trip to the point + the wait there + the message's trip via
    the coordination point and the ROT. Reports from residents with no open point in
    reach are counted as unreported.
    """
    rep = result.of_kind("emergency_reports")
    parts = [d.split(":") for d in rep["detail"]]
    delays = _message_delays(result)
    pre = np.array([float(p[1]) for p in parts], dtype=float)
    msg = (delays.reindex(np.array([p[0] for p in parts], dtype=object)).to_numpy()
           if len(rep) else np.empty(0))
    counts = rep["value"].to_numpy()
    done = np.isfinite(msg)
    total = np.repeat(pre[done] + msg[done], counts[done].astype(int))
    k = NEEDS.index("emergency")
    return {
        "reported_at_points": int(counts.sum()),
        "delivered_to_meldkamer": int(counts[done].sum()),
        "unreported_no_point_in_reach": round(float(result.flows.unmet_no_reach[:, :, k].sum()),
                                              1),
        "delay_h": describe(pd.Series(total, dtype=float)),
    }


def public_order_indicators(result: ModelResult) -> dict[str, Any]:
    """Public-order incidents at points and the delay of the request for police."""
    inc = result.of_kind("public_order")
    delays = _message_delays(result).reindex(inc["detail"].to_numpy())
    return {
        "incidents": len(inc),
        "points_with_incidents": int(inc["site"].nunique()),
        "police_request_delay_h": describe(delays.dropna()),
    }


def vulnerable_indicators(result: ModelResult) -> dict[str, Any]:
    """Vulnerable residents reached before harm, per subgroup and in all.

    The case table is read once into arrays (outcomes as codes); each subgroup is a mask.
    """
    c = result.cases
    outcome, labels = pd.factorize(c["outcome"])
    names = [str(label) for label in labels]
    order = sorted(range(len(names)), key=lambda i: names[i])
    danger = c["in_danger"].to_numpy(dtype=bool)
    in_time = np.isin(outcome, [i for i, o in enumerate(names) if o in REACHED])
    reached_at = c["reached_at"].to_numpy()
    clock_start = c["clock_start"].to_numpy()

    def one(rows: np.ndarray) -> dict[str, Any]:
        in_danger = rows & danger
        reached = in_danger & in_time
        counts = np.bincount(outcome[rows & (outcome >= 0)], minlength=len(names))
        outcomes = {names[i]: int(counts[i]) for i in order if counts[i] > 0}
        n_danger = int(in_danger.sum())
        n_reached = int(reached.sum())
        return {
            "cases": int(rows.sum()),
            "in_danger": n_danger,
            "reached_in_time": n_reached,
            "reached_in_time_share": round(n_reached / n_danger, 4) if n_danger else None,
            "harmed": outcomes.get("harmed", 0),
            "at_risk_at_horizon": outcomes.get("at_risk", 0),
            "by_outcome": outcomes,
            "hours_to_reach": describe(pd.Series(reached_at[reached] - clock_start[reached])),
        }

    everyone = np.ones(len(c), dtype=bool)
    if c.empty:
        return {"all": one(everyone), "by_group": {}}
    group, group_labels = pd.factorize(c["group"])  # in order of appearance, as groupby
    return {"all": one(everyone),
            "by_group": {str(g): one(group == k) for k, g in enumerate(group_labels)}}


def indicators(result: ModelResult, population: Mapping[str, int],
               deadline_h: float = 72.0) -> dict[str, Any]:
    """The summary indicators of one run."""
    at = hours(result.horizon_h)
    cp = powered_share(result, ["coordination_point"], at)
    during = cp[cp.index < max(result.grid.last_restoration(), 1e-9)]
    lost = generator_hours_lost(result)
    return {
        "outage": {
            "duration_h": round(result.grid.duration_h, 3),
            "last_restoration_h": round(result.grid.last_restoration(), 3),
            "affected_municipalities": len(result.grid.restored_at),
        },
        "coordination_points_powered_share": {
            "at_h": {str(h): round(float(cp.loc[float(h)]), 4)
                     for h in HOURS_REPORTED if float(h) in cp.index},
            "min": round(float(cp.min()), 4),
            "mean_during_outage": round(float(during.mean()), 4) if len(during) else 1.0,
            "every_6h": {f"{h:g}": round(float(v), 4) for h, v in cp.items() if h % 6 == 0},
        },
        "generators": {
            "fixed": sum(1 for g, s in result.generators.items() if s),
            "start_failures": len(result.of_kind("generator_start_failed")),
            "breakdowns": len(result.of_kind("generator_failed")),
            "ran_dry": len(result.of_kind("generator_dry")),
            "hours_lost_to_failures": round(lost["failures"], 3),
            "hours_lost_to_empty_tanks": round(lost["empty_tanks"], 3),
        },
        "local_points": points_indicators(result, at, deadline_h),
        "residents": residents_indicators(result, deadline_h),
        "vulnerable": vulnerable_indicators(result),
        "staffing": staffing_indicators(result),
        "mobile_generators": mobile_indicators(result),
        "fuel": fuel_indicators(result),
        "outside_help": aid_indicators(result),
        "messages": message_indicators(result),
        "events_processed": result.events_processed,
    }
