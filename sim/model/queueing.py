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

A fluid has no queue while staff keep up on average, yet random arrivals do
queue then (near full load, a lot). So the wait of those admitted is the larger
of the fluid wait and the stationary wait of the slice's load
(:func:`stationary_wait`: a pointwise stationary approximation, the M/M/c queue
with balking at the patience, halved for fixed service times as in the
Pollaczek-Khinchine formula). The backlog and the counts stay those of the fluid.

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


def stationary_wait(load: np.ndarray, staff: np.ndarray, visit_h: np.ndarray,
                    patience_h: float) -> np.ndarray:
    """Mean wait (hours) of admitted visitors in a stationary queue, per point.

    ``load``: offered work per hour (arrival rate x ``visit_h``); ``staff``: servers,
    possibly fractional (service rate ``min(n, staff)`` with ``n`` in the system);
    visitors balk when the queue ahead exceeds ``staff * patience_h`` of work. The
    M/M/c/K wait in closed form, halved for fixed service times (Pollaczek-Khinchine:
    (1 + cv^2) / 2 with cv = 0). Zero where there is no load or no staff.
    """
    a = np.asarray(load, float)
    c = np.asarray(staff, float)
    h = np.asarray(visit_h, float)
    ok = (a > 0) & (c > 0) & (h > 0)
    a, c, h = np.where(ok, a, 1.0), np.where(ok, c, 1.0), np.where(ok, h, 1.0)
    m = np.floor(c + _EPS)  # states 0..m: n busy; beyond m all c busy
    top = np.floor(c * (1.0 + patience_h / h) + _EPS)  # most in the system
    n_above = np.maximum(top - m, 0.0)
    # log of a^n / n! for n <= m, and the sum of those terms (m is small).
    steps = np.arange(1, int(m.max()) + 1)[:, None]
    log_terms = np.cumsum(np.where(steps <= m, np.log(a) - np.log(steps), 0.0), axis=0)
    log_q = log_terms[-1] if len(steps) else np.zeros_like(a)  # log a^m / m!
    log_terms = np.vstack([np.zeros_like(a), log_terms])
    within = np.vstack([np.ones_like(a, dtype=bool), steps <= m])
    top_term = np.where(within, log_terms, -np.inf).max(axis=0)
    log_s1 = np.log(np.where(within, np.exp(log_terms - top_term), 0.0).sum(axis=0)) + top_term
    # States m + j, j = 1..L, have weight q r^j with r = a / c.
    r = a / c
    big = r > 1.0 + 1e-9
    near = np.abs(r - 1.0) <= 1e-9
    L = n_above
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        s_ = np.where(big, 1.0 / r, r)
        geo0 = np.where(near, L, (1.0 - s_ ** L) / (1.0 - s_))  # sum_{i<L} s^i
        geo1 = np.where(near, L * (L - 1) / 2,  # sum_{i<L} i s^i
                        s_ * (1.0 - L * s_ ** (L - 1) + (L - 1) * s_ ** L) / (1.0 - s_) ** 2)
        # Sums over j = 1..L of r^j and j r^j, scaled by r^-L where r > 1 (no overflow).
        t0 = np.where(big, geo0, r * geo0)
        t1 = np.where(big, L * geo0 - geo1, r * (geo1 + geo0))
        log_scale = np.where(big, L * np.log(r), 0.0)  # the r^L taken out
        # Normalisation z = s1 + q * T0, expressed relative to q * r^L (or q).
        z = np.exp(log_s1 - log_q - log_scale) + t0
        lq = (t1 + (m - c) * t0) / z  # queue length (in the system less those served)
        blocked = np.where(L > 0, np.where(big, 1.0, r ** L) / z, 1.0)
        served_rate = a / h * (1.0 - blocked)
        wait = np.where(served_rate > 0, lq / served_rate, 0.0)
    wait = np.clip(np.nan_to_num(0.5 * wait), 0.0, patience_h)
    return np.where(ok, wait, 0.0)


def fluid_slice(backlog: np.ndarray, arrival_work: np.ndarray, staff: np.ndarray,
                length: float, patience_h: float,
                visits: np.ndarray | None = None) -> SliceResult:
    """Advance the fluid queues of many points over one slice of ``length`` hours.

    ``backlog``: work waiting at the start (staff-hours); ``arrival_work``: work
    arriving in the slice, spread evenly over it; ``staff``: people serving
    (work done per hour). A point with no staff admits nobody. With ``visits``
    (visitors arriving in the slice), the wait is at least the stationary wait
    of the slice's load (see the module notes).
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
    if visits is not None:
        v = np.asarray(visits, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            visit_h = np.where(v > 0, total / v, 0.0)
            floor = stationary_wait(a, s, visit_h, patience_h)
            fluid_mean = np.where(admitted > 0, wait / admitted, 0.0)
        wait = admitted * np.maximum(fluid_mean, floor)
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
