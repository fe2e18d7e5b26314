"""Visitor queues at support points: the bulk (fluid) version and a per-visitor reference.

Three million residents over a week would be tens of millions of SimPy events,
so visitor streams are handled in bulk: per time slice, each point receives a
number of visits (drawn with numpy), each visit needs staff time by kind of
need, and the staff on duty work the queue first in, first out. Visitors look
at the queue on arrival and leave (are turned away) when the wait they expect,
the work ahead divided by the staff serving, exceeds their patience.

``fluid_slice`` advances that queue over one slice for many points at once as a
fluid of the *expected* load: work arrives at a constant rate, is served at the
staff rate, and the backlog is capped at ``staff * patience`` (arrivals beyond
the cap balk). A fluid has no queue while staff keep up on average, yet random
arrivals do queue then, so the wait of those admitted is the larger of the
fluid wait and the stationary wait of the slice's load (:func:`stationary_wait`,
a pointwise stationary approximation of the M/G/c queue with balking; above
capacity, the stationary wait at capacity, since the fluid then tells how fast
the queue builds). The
randomness of arrivals enters once, through that stationary wait: the visits
the model draws (Poisson counts) are split in the proportions the expected
queue gives (admitted, served, waiting), so they are not queued a second time.

:func:`stationary_wait` takes the M/M/c queue with balking at the patience
(closed form) and corrects it for the service-time mix: by Allen-Cunneen's
(1 + cs^2) / 2 in heavy traffic (exact as utilisation goes to 1) and by the
exact light-traffic ratio for the mix (:func:`light_traffic_ratio`, the mean of
the shortest of c residual service times) as utilisation goes to 0, weighted
by (1 - utilisation)^2 in between. The queue's room (the patience) is scaled
by the same factor, so the balking agrees with the corrected queue. For one
server the correction is the Pollaczek-Khinchine factor at every load (exact);
for exponential service it is 1 (exact M/M/c with balking). The comparison
with Erlang C and with the per-visitor queue below, in 18 regimes, is in
``tests/test_queueing.py`` and ``docs/validation.md``.

``simulate_visitors`` is the same queue one visitor at a time in SimPy
(Poisson arrivals, ``servers`` staff, service times drawn from a mix, the same
balking rule). It exists to check the bulk version, not for production runs.
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


def _mmck(a: np.ndarray, c: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Queue length and blocking of the M/M/c queue with at most ``top`` in the system.

    ``a``: offered load (arrival rate x mean service time); ``c``: servers, possibly
    fractional (service rate ``min(n, c)`` with ``n`` in the system); ``top``: whole.
    Closed form over the states, in logarithms (no overflow).
    """
    m = np.floor(c + _EPS)  # states 0..m: n busy; beyond m all c busy
    n_above = np.maximum(top - m, 0.0)
    # log of a^n / n! for n <= m, and the sum of those terms (m is small).
    steps = np.arange(1, int(m.max(initial=0.0)) + 1)[:, None]
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
    return np.nan_to_num(lq), np.nan_to_num(blocked, nan=1.0)


def light_traffic_ratio(servers: np.ndarray, service_h: np.ndarray,
                        weights: np.ndarray) -> np.ndarray:
    """Light-traffic wait of M/G/c relative to M/M/c, per point, for a mix of service times.

    As the load goes to 0, a visitor waits only when c earlier visitors are still
    being served, and then for the shortest of their remaining service times, each
    distributed as the residual life of the service time. So the mean wait is
    a^c / c! x E[min of c residuals], against a^c / c! x h / c for exponential
    service (mean h): the ratio is E[min] c / h. ``servers``: c per point (may be
    fractional); ``service_h``: the service times of the needs (k); ``weights``:
    visits per point and need (points x k). Exact for a discrete mix: the residual
    survival is piecewise linear, so the integral of its c-th power is closed form.
    """
    c = np.asarray(servers, float)
    s = np.asarray(service_h, float)
    w = np.asarray(weights, float)
    total = w.sum(axis=1)
    ok = (total > 0) & (c > 0)
    out = np.ones(len(c))
    if not ok.any():
        return out
    # Only the points with visits and staff (row by row, so the same as over all).
    c, w, total = c[ok], w[ok], total[ok]
    p = w / total[:, None]
    h = p @ s
    order = np.argsort(s)
    s, p = s[order], p[:, order]
    edges = np.concatenate([[0.0], s])
    emin = np.zeros(len(c))
    for j in range(len(s)):
        x0, x1 = edges[j], edges[j + 1]
        if x1 <= x0:
            continue
        alive = s > x0  # E[(S - x)+] = sum over s > x0 of p (s - x) on (x0, x1)
        a_ = (p[:, alive] @ s[alive]) / h
        b_ = p[:, alive].sum(axis=1) / h
        with np.errstate(divide="ignore", invalid="ignore"):
            part = (np.maximum(a_ - b_ * x0, 0.0) ** (c + 1)
                    - np.maximum(a_ - b_ * x1, 0.0) ** (c + 1)) / (b_ * (c + 1))
        emin += np.where(b_ > 0, np.nan_to_num(part), 0.0)
    out[ok] = emin * c / h
    return out


def stationary_wait(load: np.ndarray, staff: np.ndarray, visit_h: np.ndarray,
                    patience_h: float, service_cv2: np.ndarray | float = 1.0,
                    light_ratio: np.ndarray | None = None) -> np.ndarray:
    """Mean wait (hours) of admitted visitors in a stationary M/G/c queue with balking.

    ``load``: offered work per hour (arrival rate x ``visit_h``, the mean service
    time); ``staff``: servers, possibly fractional; visitors balk when the work
    ahead exceeds ``staff * patience_h``. ``service_cv2``: squared coefficient of
    variation of the service time (1: exponential, 0: fixed); ``light_ratio``: the
    light-traffic ratio to M/M/c (:func:`light_traffic_ratio`; default: no separate
    light-traffic term). The M/M/c/K wait, with its waiting room and queue scaled by
    the variability factor f (see the module notes). Zero where there is no load
    or no staff.
    """
    a, c, h, cv2 = np.broadcast_arrays(np.asarray(load, float), np.asarray(staff, float),
                                       np.asarray(visit_h, float),
                                       np.asarray(service_cv2, float))
    ok = (a > 0) & (c > 0) & (h > 0)
    out = np.zeros(a.shape)
    if not ok.any():
        return out
    # Only where there is load and staff (elementwise, so the same as over all points).
    a, c, h = a[ok], c[ok], h[ok]
    heavy = (1.0 + cv2[ok]) / 2.0
    light = heavy if light_ratio is None else np.broadcast_to(
        np.asarray(light_ratio, float), out.shape)[ok]
    rho = np.clip(a / c, 0.0, 1.0)
    f = np.maximum(heavy + (light - heavy) * (1.0 - rho) ** 2, 1e-6)
    # Most in the system: the servers plus the waiting room of work staff * patience,
    # in units of the scaled queue; between whole numbers, interpolated.
    top = c + c * patience_h / (h * f)
    low = np.floor(top + _EPS)
    frac = np.clip(top - low, 0.0, 1.0)
    lq0, b0 = _mmck(a, c, low)
    lq1, b1 = _mmck(a, c, low + 1.0)
    lq = f * (lq0 * (1.0 - frac) + lq1 * frac)
    blocked = b0 * (1.0 - frac) + b1 * frac
    with np.errstate(divide="ignore", invalid="ignore"):
        served_rate = a / h * (1.0 - blocked)
        wait = np.where(served_rate > 0, lq / served_rate, 0.0)
    out[ok] = np.clip(np.nan_to_num(wait), 0.0, patience_h)
    return out


def fluid_slice(backlog: np.ndarray, arrival_work: np.ndarray, staff: np.ndarray,
                length: float, patience_h: float, visits: np.ndarray | None = None,
                service_cv2: np.ndarray | float = 1.0,
                light_ratio: np.ndarray | None = None) -> SliceResult:
    """Advance the fluid queues of many points over one slice of ``length`` hours.

    ``backlog``: work waiting at the start (staff-hours); ``arrival_work``: the
    expected work arriving in the slice, spread evenly over it; ``staff``: people
    serving (work done per hour). A point with no staff admits nobody. With
    ``visits`` (the expected visitors in the slice), the wait is at least the
    stationary wait of the slice's load, for a service time with squared
    coefficient of variation ``service_cv2`` and light-traffic ratio
    ``light_ratio`` (see :func:`stationary_wait`).
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
            # Above capacity the fluid itself tells how the queue builds (from empty,
            # filling takes time); the random queue floors it at the critical load only.
            floor = stationary_wait(np.minimum(a, s), s, visit_h, patience_h, service_cv2,
                                    light_ratio)
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


def simulate_visitors(rates: Sequence[float], service_h: float | Sequence[float],
                      servers: Sequence[int], slice_h: float, patience_h: float, seed: int,
                      service_p: Sequence[float] | None = None) -> VisitorResult:
    """One point, one visitor at a time (the reference for :func:`fluid_slice`).

    Poisson arrivals at ``rates[j]`` per hour in slice ``j``, ``servers[j]`` staff,
    first in first out; each visitor's service time is ``service_h`` (fixed) or, with
    ``service_p``, one of the ``service_h`` values drawn with those probabilities;
    visitors balk when the work ahead divided by the staff exceeds ``patience_h``.

    Served counts are by slice of service completion; the rest by slice of arrival.
    """
    n = len(rates)
    rng = np.random.default_rng(seed)
    values = np.atleast_1d(np.asarray(service_h, float))
    probs = None if service_p is None else np.asarray(service_p, float) / np.sum(service_p)
    env = simpy.Environment()
    arrived = np.zeros(n)
    admitted = np.zeros(n)
    served = np.zeros(n)
    wait_sum = np.zeros(n)
    queue: list[tuple[float, float]] = []  # (arrival time, service time) of those waiting
    queued_work = 0.0
    busy_until: list[float] = []  # per busy server, when it is free
    wake = env.event()

    def work_ahead(now: float) -> float:
        return queued_work + sum(max(0.0, b - now) for b in busy_until)

    def capacity(now: float) -> int:
        return int(servers[min(int(now // slice_h), n - 1)])

    def arrivals() -> simpy.events.ProcessGenerator:
        nonlocal wake, queued_work
        for j, rate in enumerate(rates):
            end = (j + 1) * slice_h
            t = j * slice_h
            while rate > 0:
                t += rng.exponential(1.0 / rate)
                if t >= end:
                    break
                yield env.timeout(t - env.now)
                arrived[j] += 1
                service = float(values[0] if probs is None
                                else values[rng.choice(len(values), p=probs)])
                c = capacity(env.now)
                if c <= 0 or work_ahead(env.now) / c > patience_h:
                    continue
                admitted[j] += 1
                queue.append((env.now, service))
                queued_work += service
                if not wake.triggered:
                    wake.succeed()
            yield env.timeout(end - env.now)

    def staff() -> simpy.events.ProcessGenerator:
        nonlocal wake, queued_work
        while True:
            now = env.now
            busy_until[:] = [b for b in busy_until if b > now + 1e-12]
            c = capacity(now)
            while queue and len(busy_until) < c:
                t0, service = queue.pop(0)
                queued_work -= service
                wait_sum[min(int(t0 // slice_h), n - 1)] += now - t0
                busy_until.append(now + service)
                done = now + service
                if done <= n * slice_h:
                    served[min(int(done // slice_h), n - 1)] += 1
            nxt = list(busy_until)
            nxt.append((int(now // slice_h) + 1) * slice_h)  # staffing may change
            wake = env.event()
            yield env.any_of([env.timeout(min(nxt) - now), wake])

    env.process(arrivals())
    env.process(staff())
    env.run(until=n * slice_h)
    return VisitorResult(arrived=arrived, admitted=admitted, served=served, wait_sum=wait_sum)
