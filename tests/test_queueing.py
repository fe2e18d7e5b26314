"""The bulk (fluid) visitor queue: its invariants, and agreement with a per-visitor queue."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.queueing import fluid_slice, simulate_visitors, stationary_wait

#: Tolerances for bulk vs per-visitor (stated in the README).
ADMITTED_SHARE_TOL = 0.02  # absolute, share of arrivals admitted
SERVED_REL_TOL = 0.03  # relative, visits served in total
WAIT_TOL_H = 0.05  # absolute, mean wait of those admitted (hours)

finite = st.floats(min_value=0.0, max_value=200.0, allow_nan=False, allow_infinity=False)


def run_fluid(rates, service_h, servers, slice_h, patience_h):
    """The fluid queue over consecutive slices: (arrived, admitted, served, wait sum)."""
    backlog = np.zeros(1)
    arrived = admitted = served = wait = 0.0
    for rate, staff in zip(rates, servers, strict=True):
        work = np.array([rate * slice_h * service_h])
        out = fluid_slice(backlog, work, np.array([float(staff)]), slice_h, patience_h,
                          visits=np.array([rate * slice_h]))
        backlog = out.backlog
        arrived += rate * slice_h
        admitted += out.admitted[0] / service_h
        served += out.served[0] / service_h
        wait += out.wait_integral[0] / service_h
    return arrived, admitted, served, wait


@pytest.mark.parametrize(
    ("name", "rates", "servers"),
    [
        # A day: quiet, a peak far above capacity, then quiet again; staff change too.
        ("peak", [20.0] * 8 + [140.0] * 8 + [60.0] * 8 + [10.0] * 8,
         [3] * 12 + [5] * 12 + [2] * 8),
        # Steady load just under capacity: a fluid has no queue, random arrivals do.
        ("near-capacity", [55.0] * 24, [3] * 24),
        ("one-server", [15.0] * 24, [1] * 24),
        ("eight-servers", [150.0] * 24, [8] * 24),
        # Load exactly at capacity, with a point that loses its staff for a while.
        ("staff-gap", [80.0] * 24, [4] * 8 + [0] * 4 + [4] * 12),
    ],
)
def test_bulk_queue_agrees_with_the_per_visitor_queue(name, rates, servers):
    service_h, slice_h, patience_h = 0.05, 1.0, 1.0
    runs = [simulate_visitors(rates, service_h, servers, slice_h, patience_h, seed)
            for seed in range(30)]
    arrived = np.mean([r.arrived.sum() for r in runs])
    admitted = np.mean([r.admitted.sum() for r in runs])
    served = np.mean([r.served.sum() for r in runs])
    wait = np.mean([r.wait_sum.sum() for r in runs]) / admitted
    f_arrived, f_admitted, f_served, f_wait = run_fluid(rates, service_h, servers, slice_h,
                                                        patience_h)
    assert arrived == pytest.approx(f_arrived, rel=0.02)
    assert f_admitted / f_arrived == pytest.approx(admitted / arrived, abs=ADMITTED_SHARE_TOL)
    assert f_served == pytest.approx(served, rel=SERVED_REL_TOL)
    assert f_wait / f_admitted == pytest.approx(wait, abs=WAIT_TOL_H)


def mmck_wait(load, staff, visit_h, patience_h):
    """The same stationary wait from the state probabilities, one state at a time."""
    top = int(np.floor(staff * (1 + patience_h / visit_h) + 1e-12))
    log_p = [0.0]
    for n in range(1, top + 1):
        log_p.append(log_p[-1] + np.log(load) - np.log(min(n, staff)))
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    queue = (np.clip(np.arange(top + 1) - staff, 0, None) * p).sum()
    admitted_rate = load / visit_h * (1 - p[top])
    return min(0.5 * queue / admitted_rate, patience_h)


def test_stationary_wait_matches_the_state_probabilities():
    rng = np.random.default_rng(1)
    load = rng.uniform(0.01, 12, 300)
    staff = rng.uniform(0.3, 10, 300)
    staff[:100] = np.maximum(np.round(staff[:100]), 1)  # whole servers
    staff[100:120] = load[100:120]  # exactly at capacity
    visit_h = rng.uniform(0.01, 0.3, 300)
    got = stationary_wait(load, staff, visit_h, 1.0)
    expected = [mmck_wait(a, c, h, 1.0) for a, c, h in zip(load, staff, visit_h, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # M/D/1 without balking: rho h / (2 (1 - rho)); a long patience comes close.
    md1 = stationary_wait(np.array([0.5]), np.array([1.0]), np.array([0.1]), 50.0)[0]
    assert md1 == pytest.approx(0.5 * 0.1 / (2 * 0.5), rel=1e-6)
    none = stationary_wait(np.array([0.0, 2.0, 2.0]), np.array([3.0, 0.0, 3.0]),
                           np.array([0.1, 0.1, 0.0]), 1.0)
    assert (none == 0).all()


def test_the_per_visitor_queue_balks_and_serves_as_it_should():
    # One server, 0.5 h per visit, patience 1 h: at most two ahead; overload turns people away.
    r = simulate_visitors([10.0] * 4, 0.5, [1] * 4, 1.0, 1.0, seed=3)
    assert r.arrived.sum() > 30
    assert r.admitted.sum() < r.arrived.sum() / 2
    assert r.served.sum() <= r.admitted.sum()
    assert r.served.sum() >= 4 * 2 - 2  # the server is busy almost all the time
    none = simulate_visitors([10.0] * 4, 0.5, [0] * 4, 1.0, 1.0, seed=3)
    assert none.admitted.sum() == 0 and none.served.sum() == 0


@settings(max_examples=300, deadline=None)
@given(backlog=finite, work=finite, staff=st.integers(0, 20).map(float),
       length=st.floats(0.1, 6.0), patience=st.floats(0.05, 4.0),
       visit_h=st.one_of(st.none(), st.floats(0.01, 0.5)))
def test_fluid_slice_conserves_work_and_respects_its_limits(backlog, work, staff, length,
                                                            patience, visit_h):
    visits = None if visit_h is None else np.array([work / visit_h])
    out = fluid_slice(np.array([backlog]), np.array([work]), np.array([staff]), length,
                      patience, visits=visits)
    adm, srv, end = out.admitted[0], out.served[0], out.backlog[0]
    tol = 1e-7 * (1 + backlog + work + staff * length)
    assert -tol <= adm <= work + tol
    assert out.turned_away[0] == pytest.approx(work - adm, abs=tol)
    assert -tol <= srv <= staff * length + tol
    assert end >= -tol
    # What is left is what was there plus what came in less what was done.
    assert end == pytest.approx(backlog + adm - srv, abs=tol)
    # Nobody admitted waits longer than the patience.
    assert -tol <= out.wait_integral[0] <= adm * patience + tol
    if staff == 0:
        assert adm == 0 and srv == 0 and end == pytest.approx(backlog)
    # With no queue and capacity to spare, everyone is admitted; as a fluid, at once.
    if backlog == 0 and staff > 0 and work <= staff * length:
        assert adm == pytest.approx(work, abs=tol)
        if visits is None:
            assert out.wait_integral[0] <= tol


@settings(max_examples=100, deadline=None)
@given(backlog=finite, work=finite, staff=st.integers(1, 10).map(float),
       extra=st.integers(1, 10).map(float))
def test_more_staff_never_admits_fewer_or_leaves_more_waiting(backlog, work, staff, extra):
    a = fluid_slice(np.array([backlog]), np.array([work]), np.array([staff]), 1.0, 1.0)
    b = fluid_slice(np.array([backlog]), np.array([work]), np.array([staff + extra]), 1.0, 1.0)
    tol = 1e-7 * (1 + backlog + work)
    assert b.admitted[0] >= a.admitted[0] - tol
    assert b.served[0] >= a.served[0] - tol


def test_fluid_slice_handles_many_points_at_once_as_one_by_one():
    rng = np.random.default_rng(0)
    backlog, work = rng.uniform(0, 10, 50), rng.uniform(0, 20, 50)
    staff = rng.integers(0, 6, 50).astype(float)
    together = fluid_slice(backlog, work, staff, 1.0, 1.5)
    for i in range(50):
        alone = fluid_slice(backlog[i:i + 1], work[i:i + 1], staff[i:i + 1], 1.0, 1.5)
        assert together.admitted[i] == pytest.approx(alone.admitted[0])
        assert together.backlog[i] == pytest.approx(alone.backlog[0])
