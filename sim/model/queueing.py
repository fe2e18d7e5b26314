"""Visitor queues at support points: the bulk (fluid) version and a per-visitor reference.

Three million residents over a week would be tens of millions of SimPy events,
so visitor streams are handled in bulk: per time slice, each point receives a
number of visits (drawn with numpy), each visit needs a fixed amount of staff
time by kind, and the staff on duty work the queue first in, first out.
Visitors look at the queue on arrival and leave (are turned away) when the
wait they expect, the work ahead divided by the staff serving, exceeds their
patience.

``fluid_slice`` advances that queue over one slice for many points at once as a
fluid: work arrives at a constant rate, is served at the staff rate, and the
backlog is capped at ``staff * patience`` (arrivals beyond the cap balk). The
result per point: work admitted, turned away and served, the backlog left,
and the admitted-work-weighted wait.

``simulate_visitors`` is the same queue one visitor at a time in SimPy
(Poisson arrivals, ``servers`` staff, the same balking rule). It exists to
check the bulk version (``tests/test_queueing.py``), not for production runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

_EPS = 1e-12


@dataclass(frozen=True)
class SliceResult:
    """One slice of the fluid queue, per point (work in staff-hours)."""

    admitted: np.ndarray
    turned_away: np.ndarray
    served: np.ndarray
    backlog: np.ndarray
    #: Integral of (admitted work rate x wait) over the slice; / admitted = mean wait (h).
    wait_integral: np.ndarray


def fluid_slice(backlog: np.ndarray, arrival_work: np.ndarray, staff: np.ndarray,
                length: float, patience_h: float) -> SliceResult:
    """Advance the fluid queues of many points over one slice of ``length`` hours.

    ``backlog``: work waiting at the start (staff-hours); ``arrival_work``: work
    arriving in the slice, spread evenly over it; ``staff``: people serving
    (work done per hour). A point with no staff admits nobody.
    """
    w = np.asarray(backlog, float).copy()
    total = np.asarray(arrival_work, float)
    a = total / length  # work per hour
    s = np.asarray(staff, float)
    cap = s * patience_h
    # Points without staff admit nobody and their backlog waits.
    left = np.where(s > 0, length, 0.0)
    safe_s = np.where(s > 0, s, 1.0)
    admitted = np.zeros_like(w)
    served = np.zeros_like(w)
    wait = np.zeros_like(w)
    grow = a - s
    safe_grow = np.where(grow != 0, grow, 1.0)
    # At most four regimes follow one another: above the cap (draining, all balk),
    # at the cap (admitting at the staff rate), between (admitting all), empty.
    for _ in range(5):
        active = left > _EPS
        if not active.any():
            break
        above = active & (w > cap + _EPS)
        at_cap = active & ~above & (w >= cap - _EPS) & (grow >= 0)
        empty = active & ~above & ~at_cap & (w <= _EPS) & (grow <= 0)
        between = active & ~above & ~at_cap & ~empty
        dt = np.zeros_like(w)
        # Above the cap: nobody is admitted; the backlog drains at the staff rate.
        d = np.minimum(left, (w - cap) / safe_s)
        dt[above] = d[above]
        served[above] += (s * d)[above]
        w[above] = np.maximum(w - s * d, cap)[above]
        # At the cap: admitted at the staff rate, each waiting the patience.
        d = left
        dt[at_cap] = d[at_cap]
        admitted[at_cap] += (s * d)[at_cap]
        served[at_cap] += (s * d)[at_cap]
        wait[at_cap] += (cap * d)[at_cap]
        # Empty with capacity to spare: all admitted at once, no wait.
        dt[empty] = d[empty]
        admitted[empty] += (a * d)[empty]
        served[empty] += (a * d)[empty]
        # In between: the backlog moves linearly towards the cap or towards empty.
        to_edge = np.where(grow > 0, (cap - w) / safe_grow,
                           np.where(grow < 0, w / -safe_grow, np.inf))
        d = np.minimum(left, np.maximum(to_edge, 0.0))
        dt[between] = d[between]
        admitted[between] += (a * d)[between]
        served[between] += (s * d)[between]
        wait[between] += (a / safe_s * (w * d + grow * d * d / 2))[between]
        w[between] = np.clip(w + grow * d, 0.0, None)[between]
        left = left - dt
    admitted = np.minimum(admitted, total)
    return SliceResult(admitted=admitted, turned_away=total - admitted, served=served,
                       backlog=w, wait_integral=wait)


@dataclass(frozen=True)
class VisitorResult:
    """Per-visitor reference run: counts and waits by slice of arrival."""

    arrived: np.ndarray
    admitted: np.ndarray
    served: np.ndarray
    wait_sum: np.ndarray


def simulate_visitors(rates: Sequence[float], service_h: float, servers: Sequence[int],
                      slice_h: float, patience_h: float, seed: int) -> VisitorResult:
    """One point, one visitor at a time (the reference for :func:`fluid_slice`).

    Poisson arrivals at ``rates[j]`` per hour in slice ``j``, ``servers[j]`` staff,
    fixed service time, balking on expected wait.

    Served counts are by slice of service completion; the rest by slice of arrival.
    """
    n = len(rates)
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    arrived = np.zeros(n)
    admitted = np.zeros(n)
    served = np.zeros(n)
    wait_sum = np.zeros(n)
    queue: list[float] = []  # arrival times of those waiting
    busy_until: list[float] = []  # per busy server, when it is free
    wake = env.event()

    def work_ahead(now: float) -> float:
        return len(queue) * service_h + sum(max(0.0, b - now) for b in busy_until)

    def capacity(now: float) -> int:
        return int(servers[min(int(now // slice_h), n - 1)])

    def arrivals() -> simpy.events.ProcessGenerator:
        nonlocal wake
        for j, rate in enumerate(rates):
            end = (j + 1) * slice_h
            t = j * slice_h
            while rate > 0:
                t += rng.exponential(1.0 / rate)
                if t >= end:
                    break
                yield env.timeout(t - env.now)
                arrived[j] += 1
                c = capacity(env.now)
                if c <= 0 or work_ahead(env.now) / c > patience_h:
                    continue
                admitted[j] += 1
                queue.append(env.now)
                if not wake.triggered:
                    wake.succeed()
            yield env.timeout(end - env.now)

    def staff() -> simpy.events.ProcessGenerator:
        nonlocal wake
        while True:
            now = env.now
            busy_until[:] = [b for b in busy_until if b > now + 1e-12]
            c = capacity(now)
            while queue and len(busy_until) < c:
                t0 = queue.pop(0)
                wait_sum[min(int(t0 // slice_h), n - 1)] += now - t0
                busy_until.append(now + service_h)
                done = now + service_h
                if done <= n * slice_h:
                    served[min(int(done // slice_h), n - 1)] += 1
            nxt = [b for b in busy_until]
            nxt.append((int(now // slice_h) + 1) * slice_h)  # staffing may change
            wake = env.event()
            yield env.any_of([env.timeout(min(nxt) - now), wake])

    env.process(arrivals())
    env.process(staff())
    env.run(until=n * slice_h)
    return VisitorResult(arrived=arrived, admitted=admitted, served=served, wait_sum=wait_sum)
