"""The care chain for residents who depend on care or devices (``sim.model.care``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose_config

from sim.errors import InputError
from sim.model.care import alarm_requests, serve
from sim.model.engine import Model, ModelResult
from sim.model.vulnerable import CARE_COLUMNS, REACHED
from sim.params.validate import prepare
from sim.results.run import build_network

#: Two regions keep the comparisons quick; the mechanisms are the same in each.
AREA = ["region.select.regions=[VGZ,Twente]"]
DEVICE = ["home_ventilation", "home_ventilation_night", "home_oxygen"]
#: Telephony that never fails, and telephony gone from the first minute.
PHONES_UP = ["cascade.mobile.fails_share=0", "cascade.fixed_network.fails_share=0"]
PHONES_DOWN = ["cascade.mobile.backup={distribution: fixed, hours: 0.01, low: null, "
               "high: null, mode: null}",
               "cascade.fixed_network.backup={distribution: fixed, hours: 0.01, low: null, "
               "high: null, mode: null}",
               "cascade.operator_generators_share=0"]


def simulate(overrides: list[str]) -> ModelResult:
    scenario = prepare(compose_config([*AREA, *overrides]))
    return Model(scenario, build_network(scenario)).run()


def harmed(cases: pd.DataFrame, groups: list[str] | None = None) -> int:
    rows = cases if groups is None else cases[cases["group"].isin(groups)]
    return int((rows["outcome"] == "harmed").sum())


# --- the queue every actor works ------------------------------------------------------------


def test_serve_takes_requests_in_priority_order_when_servers_are_free():
    release = np.array([0.0, 0.0, 0.0, 1.0])
    urgency = np.array([3.0, 1.0, 2.0, 0.0])
    got = serve(release, (urgency,), np.full(4, np.inf), servers=1,
                duration=lambda i, t: 2.0)
    # At 0 the most urgent of those waiting (1), then at 2 the newly released most urgent (3).
    np.testing.assert_allclose(got, [6.0, 0.0, 4.0, 2.0])


def test_serve_drops_what_is_too_late_without_using_a_server():
    release = np.zeros(3)
    stop = np.array([np.inf, 1.0, np.inf])  # the second would be reached at 2: too late
    got = serve(release, (np.arange(3.0),), stop, servers=1, duration=lambda i, t: 2.0)
    np.testing.assert_allclose(got, [0.0, np.inf, 2.0])


def test_serve_never_reaches_a_request_before_it_was_made():
    # Three requests at 5; the first would come too late and is dropped. The server
    # was idle until 5, so the others are reached at 5 and 7, not at 0 and 2.
    release = np.full(3, 5.0)
    stop = np.array([6.0, np.inf, np.inf])
    got = serve(release, (np.arange(3.0),), stop, servers=1, duration=lambda i, t: 2.0,
                reach=lambda i, d: d)
    np.testing.assert_allclose(got, [np.inf, 7.0, 9.0])
    rng = np.random.default_rng(1)
    release = rng.uniform(0, 50, 300)
    stop = release + rng.uniform(0, 6, 300)
    got = serve(release, (rng.random(300),), stop, servers=3, duration=lambda i, t: 1.5,
                reach=lambda i, d: d / 2)
    reached = np.isfinite(got)
    assert reached.sum() > 50
    assert (got[reached] >= release[reached]).all()


def test_serve_uses_every_server_and_respects_the_places():
    release = np.zeros(6)
    got = serve(release, (np.arange(6.0),), np.full(6, np.inf), servers=2,
                duration=lambda i, t: 1.0, reach=lambda i, d: 0.5)
    np.testing.assert_allclose(got, [0.5, 0.5, 1.5, 1.5, 2.5, 2.5])
    limited = serve(release, (np.arange(6.0),), np.full(6, np.inf), servers=2,
                    duration=lambda i, t: 1.0, limit=3)
    assert np.isfinite(limited).sum() == 3
    none = serve(release, (np.arange(6.0),), np.full(6, np.inf), servers=0,
                 duration=lambda i, t: 1.0)
    assert not np.isfinite(none).any()


def test_an_alarm_goes_by_phone_or_through_a_point():
    found = np.array([1.0, 1.0, np.inf, 2.0])
    phones = np.array([True, False, True, False])
    via_point = np.array([1.5, 1.5, 0.0, np.inf])
    np.testing.assert_allclose(alarm_requests(found, phones, via_point, 0.5),
                               [1.0, 2.0, np.inf, np.inf])


# --- the chain in a run ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_cases() -> pd.DataFrame:
    return simulate(["seed=2"]).cases


def test_outcomes_say_who_reached_each_case(default_cases):
    c = default_cases
    assert set(c["outcome"]) >= {"care_provider", "supplier", "ambulance", "neighbour"}
    reached = c[c["outcome"].isin(REACHED)]
    column = {"care_provider": "care_at", "supplier": "supplier_at", "ambulance": "ambulance_at",
              "outreach": "outreach_at", "neighbour": "neighbour_at", "self": "self_at"}
    for outcome, group in reached.groupby("outcome"):
        # The one who reached them did so before harm, at the time the table says.
        np.testing.assert_allclose(group["reached_at"], group[column[str(outcome)]])
        assert (group["reached_at"] < group["harm_at"]).all()
    # Suppliers reach only patients of theirs; carers only residents not on a device
    # count as made safe by them; residents on a device are safe only with power.
    assert set(c.loc[c["outcome"] == "supplier", "group"]) <= set(DEVICE)
    assert not c.loc[c["group"].isin(DEVICE), "outcome"].isin(
        ["care_provider", "outreach", "neighbour"]).any()
    assert set(c.loc[c["outcome"] == "ambulance", "group"]) <= set(DEVICE)
    # An ambulance comes only after it was asked for.
    amb = c[np.isfinite(c["ambulance_at"])]
    assert (amb["ambulance_at"] > amb["ambulance_requested_at"]).all()


def test_with_the_care_chain_off_only_neighbours_selves_and_outreach_reach_them():
    c = simulate(["seed=2", "population.care.enabled=false"]).cases
    assert set(c["outcome"]) <= {"outreach", "neighbour", "self", "restored", "repowered",
                                 "harmed", "at_risk", "coped", "unaffected"}
    for column in CARE_COLUMNS:
        assert not np.isfinite(c[column]).any()


def test_the_care_chain_harms_fewer_than_no_care_chain(default_cases):
    off = simulate(["seed=2", "population.care.enabled=false"]).cases
    assert harmed(default_cases) < harmed(off)
    assert harmed(default_cases, DEVICE) < 0.5 * harmed(off, DEVICE)


def test_more_home_care_staff_harm_fewer():
    few = simulate(["seed=3", "population.care.home_care.staff_per_100k=2"]).cases
    many = simulate(["seed=3", "population.care.home_care.staff_per_100k=30"]).cases
    assert (many["outcome"] == "care_provider").sum() > (few["outcome"] == "care_provider").sum()
    assert harmed(many) < harmed(few)


def test_more_ambulances_harm_fewer_on_devices():
    # Few suppliers, so the ambulances matter.
    base = ["seed=3", "population.care.suppliers.ventilation.staff_per_100k=0",
            "population.care.suppliers.oxygen.staff_per_100k=0"]
    few = simulate([*base, "population.care.ambulance.per_100k=0.2"]).cases
    many = simulate([*base, "population.care.ambulance.per_100k=3"]).cases
    assert (many["outcome"] == "ambulance").sum() > (few["outcome"] == "ambulance").sum()
    assert harmed(many, DEVICE) < harmed(few, DEVICE)


def test_the_care_chain_is_slower_when_telephony_is_down():
    up = simulate(["seed=4", *PHONES_UP]).cases
    down = simulate(["seed=4", *PHONES_DOWN]).cases

    def asked_after(frame: pd.DataFrame) -> float:
        """Median hours from the clock's start until an ambulance is asked for."""
        rows = frame[frame["group"].isin(DEVICE)]
        t = rows["ambulance_requested_at"] - rows["clock_start"]
        return float(np.median(t[np.isfinite(t)]))

    # Households call 112 when the battery runs low; without phones the alarm waits for
    # someone to find them and walk to a point: later, and for fewer.
    assert asked_after(down) > asked_after(up) + 2
    assert (np.isfinite(down["ambulance_requested_at"]).sum()
            < np.isfinite(up["ambulance_requested_at"]).sum())
    assert harmed(down, DEVICE) > harmed(up, DEVICE)
    # Carers cannot call ahead: their visits take longer, so they reach fewer.
    assert (down["outcome"] == "care_provider").sum() < (up["outcome"] == "care_provider").sum()


def test_only_the_share_at_risk_comes_to_harm():
    group = "frail_elderly_alone"
    key = f"population.vulnerable.{group}.at_risk_share"
    runs = {share: simulate(["seed=5", f"{key}={share}"]).cases for share in (0, 0.5, 1)}
    rows = {share: c[(c["group"] == group) & np.isfinite(c["clock_start"])]
            for share, c in runs.items()}
    # Nobody at risk: nobody in danger or harmed; everyone at risk: some harmed.
    assert not rows[0]["in_danger"].any() and harmed(rows[0]) == 0
    assert (rows[0]["outcome"] == "coped").all()
    assert harmed(rows[1]) > 0
    # Half at risk: about half have a time to harm at all, and fewer are harmed.
    share = float(np.isfinite(rows[0.5]["harm_at"]).mean())
    assert len(rows[0.5]) > 400 and abs(share - 0.5) < 0.06
    assert harmed(rows[0.5]) < harmed(rows[1])


def test_a_supplier_must_be_known():
    cfg = compose_config(["population.vulnerable.home_oxygen.supplier=pharmacy"])
    with pytest.raises(InputError, match=r"population\.vulnerable\.home_oxygen\.supplier"):
        prepare(cfg)
