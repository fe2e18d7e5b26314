"""The care chain: who reaches residents who depend on care or devices, and when.

Those who know them act first (``population.care``):

- **home-care providers** (thuiszorg, wijkverpleging) visit their own clients,
  neediest first (lower subgroup priority, then the sooner harm would come),
  with a team per municipality of ``staff_per_100k`` carers free for it; a
  visit takes longer while telephony is down (no calling ahead) and, once the
  cars' own fuel is used up and the fuel pumps are down, by bicycle;
- **suppliers and centres** (the centre for home ventilation, CTB; home-oxygen
  suppliers) hold their patient lists and bring a battery or a bottle, or
  arrange admission, per safety region; while telephony works they call their
  patients and go to the most urgent first, without it they go door to door in
  list order, after organising the rounds (``no_phone_delay_h``);
- **ambulances** (RAV) transport residents on devices to **admission** (places
  with backup power in hospitals and care homes, per safety region): requested
  over 112 by the household when the battery runs low, while telephony works;
  or when someone who found them raises the alarm (a neighbour, a carer, an
  outreach team), by phone where it works, else through a report at the
  nearest open local point. The meldkamer sends the most urgent first.

Each actor is a set of servers working a priority queue (:func:`serve`): a
request waits until it is released, is taken in priority order when a server
is free, and is dropped without using the server when the server would arrive
after the case was safe, harmed or out of danger. The actors are worked out in
a fixed order (suppliers, home care, outreach, ambulances), each dropping what
the earlier ones already made safe; a case made safe later by an earlier actor
may still have used a later actor's time. Residents on a device are safe only
with power (a supplier, an ambulance, or a local point with power they reach on
their own); the others are safe once anyone reaches them.

Pure functions of the run's schedules and point states; no SimPy.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.timeline import Timeline
from sim.params.care import Care

#: Share of an ambulance transport spent driving to the address (then the crew is there).
TO_ADDRESS_SHARE = 1.0 / 3.0


def serve(release: np.ndarray, key: Sequence[np.ndarray], stop: np.ndarray, servers: int,
          duration: Callable[[int, float], float],
          reach: Callable[[int, float], float] | None = None,
          limit: int | None = None) -> np.ndarray:
    """When each request is reached by a pool of ``servers`` working in priority order.

    ``release``: when a request can be taken (inf: never); ``key``: priority arrays,
    compared in order (lower first); ``stop``: a request whose arrival would fall at
    or after it is dropped without using a server; ``duration(i, t)``: hours a server
    is busy with request ``i`` taken at ``t``; ``reach(i, d)``: hours from taking it
    to arriving (default: at once); ``limit``: most requests served (places).
    Returns the arrival time per request (inf: not reached).
    """
    n = len(release)
    out = np.full(n, np.inf)
    ok = np.flatnonzero(np.isfinite(release))
    if servers <= 0 or not len(ok) or (limit is not None and limit <= 0):
        return out
    order = ok[np.argsort(release[ok], kind="stable")].tolist()
    rel = np.asarray(release, float).tolist()
    end = np.asarray(stop, float).tolist()
    # Heap entries compare by priority, then release, then index: plain tuples, made once.
    keys = list(zip(*(np.asarray(k, float).tolist() for k in key), rel, range(n),
                    strict=True))
    free = [0.0] * servers
    ready: list[tuple[float, ...]] = []
    pos = 0
    served = 0
    last = len(order)
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
    now = 0.0  # time never runs back: a request dropped unserved leaves the server idle
    while pos < last or ready:
        t = max(free[0], now)
        if not ready and rel[order[pos]] > t:
            t = rel[order[pos]]
        now = t
        while pos < last and rel[order[pos]] <= t:
            push(ready, keys[order[pos]])
            pos += 1
        i = int(pop(ready)[-1])
        d = duration(i, t)
        arrive = t + (reach(i, d) if reach is not None else 0.0)
        if arrive >= end[i]:
            continue  # safe, harmed or out of danger before a server could come
        out[i] = arrive
        replace(free, t + d)
        served += 1
        if limit is not None and served >= limit:
            break
    return out


def groups(labels: np.ndarray, rows: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The ``rows`` grouped by their label, labels sorted, rows ascending in each group.

    One sort instead of a scan of every row per label (``rows`` ascending).
    """
    if not len(rows):
        return []
    keys, index = np.unique(np.asarray(labels, dtype=object)[rows].astype(str),
                            return_inverse=True)
    order = rows[np.argsort(index, kind="stable")]
    bounds = np.cumsum(np.bincount(index, minlength=len(keys)))[:-1]
    return list(zip(keys.tolist(), np.split(order, bounds), strict=True))


@dataclass(frozen=True)
class Region:
    """What the care chain needs to know of the region and the run's schedules."""

    #: Municipality code -> safety region.
    region_of: Mapping[str, str]
    #: Residents per municipality (of those affected) and per safety region.
    residents_of: Mapping[str, float]
    region_residents: Mapping[str, float]
    #: Per municipality: mobile and fixed telephony, and card payment and fuel pumps.
    mobile: Mapping[str, Timeline]
    fixed: Mapping[str, Timeline]
    payment: Mapping[str, Timeline]

    def phones(self, code: str, t: float) -> bool:
        """Whether anyone in municipality ``code`` can phone at time ``t``."""
        return self.mobile[code].value_at(t) or self.fixed[code].value_at(t)

    def phones_at(self, codes: np.ndarray, times: np.ndarray) -> np.ndarray:
        """:meth:`phones` for many (municipality, time) pairs (False at an infinite time)."""
        times = np.asarray(times, float)
        out = np.zeros(len(times), dtype=bool)
        for code, rows in groups(codes, np.flatnonzero(np.isfinite(times))):
            t = times[rows]
            out[rows] = self.mobile[code].values_at(t) | self.fixed[code].values_at(t)
        return out



def _servers(per_100k: float, residents: float) -> int:
    """A pool's size for its residents: at least one wherever there is any capacity."""
    if per_100k <= 0 or residents <= 0:
        return 0
    return max(1, round(per_100k * residents / 1e5))


def supplier_times(cases: Mapping[str, np.ndarray], care: Care, region: Region,
                   stop: np.ndarray) -> np.ndarray:
    """When a supplier reaches each case on its list (inf: not, or not before ``stop``).

    ``cases``: ``supplier`` (name or ""), ``on_list``, ``clock_start``, ``harm_at``,
    ``municipality``, ``region``, ``list_order`` (a uniform draw: the order of the list).
    """
    out = np.full(len(stop), np.inf)
    for name, sup in care.suppliers.items():
        mine = (cases["supplier"] == name) & cases["on_list"] & np.isfinite(cases["clock_start"])
        for reg, idx in groups(cases["region"], np.flatnonzero(mine)):
            start = np.maximum(cases["clock_start"][idx], sup.start_h)
            called = region.phones_at(cases["municipality"][idx], start)
            release = np.where(called, start, start + sup.no_phone_delay_h)
            # Called patients by urgency; the others afterwards, in list order.
            key = (np.where(called, 0.0, 1.0),
                   np.where(called, cases["harm_at"][idx], cases["list_order"][idx]))
            visit = sup.visit_h

            def duration(i: int, t: float, visit: float = visit) -> float:
                return visit

            out[idx] = serve(release, key, stop[idx],
                             _servers(sup.staff_per_100k, region.region_residents.get(reg, 0.0)),
                             duration=duration, reach=lambda i, d: d / 2)
    return out


def home_care_times(cases: Mapping[str, np.ndarray], care: Care, region: Region,
                    stop: np.ndarray) -> np.ndarray:
    """When a home carer reaches each client (inf: not, or not before ``stop``).

    ``cases``: ``client``, ``priority``, ``clock_start``, ``harm_at``, ``municipality``.
    """
    hc = care.home_care
    out = np.full(len(stop), np.inf)
    mine = np.flatnonzero(cases["client"] & np.isfinite(cases["clock_start"]))
    for code, idx in groups(cases["municipality"], mine):
        release = np.maximum(cases["clock_start"][idx], hc.start_h)
        changes, hours = _visit_hours(hc.visit_h, hc.no_phone_factor, hc.no_fuel_factor,
                                      hc.fuel_h, region, code)

        def duration(i: int, t: float, changes: list[float] = changes,
                     hours: list[float] = hours) -> float:
            return hours[bisect.bisect_right(changes, t) - 1]

        out[idx] = serve(release, (cases["priority"][idx], cases["harm_at"][idx]), stop[idx],
                         _servers(hc.staff_per_100k, region.residents_of.get(code, 0.0)),
                         duration=duration, reach=lambda i, d: d / 2)
    return out


def _visit_hours(visit_h: float, no_phone_factor: float, no_fuel_factor: float,
                 fuel_h: float, region: Region, code: str) -> tuple[list[float], list[float]]:
    """A home-care visit's hours in municipality ``code`` as a step function of time.

    Longer while nobody can phone, and longer again by bicycle from ``fuel_h`` on
    while card payment (and with it the fuel pumps) is down. Returns the change
    times (-inf first) and the hours from each.
    """
    lines = (region.mobile[code], region.fixed[code], region.payment[code])
    changes = sorted({-np.inf, fuel_h, *(t for tl in lines for t in tl.times)})
    hours = []
    for t in changes:
        factor = 1.0 if region.phones(code, t) else no_phone_factor
        if t >= fuel_h and not region.payment[code].value_at(t):
            factor *= no_fuel_factor
        hours.append(visit_h * factor)
    return changes, hours


def ambulance_times(request: np.ndarray, cases: Mapping[str, np.ndarray], care: Care,
                    region: Region, stop: np.ndarray) -> np.ndarray:
    """When an ambulance crew reaches each requested case, most urgent first, per region.

    Only as many as the region has places to admit them are taken.
    """
    amb = care.ambulance
    out = np.full(len(stop), np.inf)
    wanted = np.isfinite(request)
    for reg, idx in groups(cases["region"], np.flatnonzero(wanted)):
        residents = region.region_residents.get(reg, 0.0)
        places = int(care.admission_per_100k * residents / 1e5)
        out[idx] = serve(request[idx], (cases["harm_at"][idx],), stop[idx],
                         _servers(amb.per_100k, residents),
                         duration=lambda i, t: amb.transport_h,
                         reach=lambda i, d: d * TO_ADDRESS_SHARE, limit=places)
    return out


def alarm_requests(found_at: np.ndarray, phones: np.ndarray, via_point: np.ndarray,
                   report_h: float) -> np.ndarray:
    """When an alarm raised at ``found_at`` reaches the meldkamer.

    By phone at once where telephony works (``phones``); else through a local point:
    ``via_point`` is when the finder gets to an open point (inf: none), and the report
    takes ``report_h`` more.
    """
    return np.where(~np.isfinite(found_at), np.inf,
                    np.where(phones, found_at, via_point + report_h))
