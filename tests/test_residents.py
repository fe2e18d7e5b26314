"""Model part 2 (second half): residents' needs at local points, and vulnerable residents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose_config
from pandas.testing import assert_frame_equal

from sim.model.engine import Model, ModelResult
from sim.model.flows import POINT_COLUMNS
from sim.model.vulnerable import REACHED
from sim.params.population import NEEDS
from sim.params.validate import prepare
from sim.results import indicators, points
from sim.results.records import hours
from sim.results.run import build_network

SEEDS = (1, 2)
#: A smaller area keeps these comparisons quick; the mechanisms are the same.
AREA = ["region.select.regions=[VGZ,Twente]"]
COL = {name: i for i, name in enumerate(POINT_COLUMNS)}
NEED = {name: i for i, name in enumerate(NEEDS)}


def model(overrides: list[str]) -> Model:
    scenario = prepare(compose_config([*AREA, *overrides]))
    return Model(scenario, build_network(scenario))


def simulate(overrides: list[str]) -> ModelResult:
    return model(overrides).run()


def reached_share(result: ModelResult) -> float:
    share = indicators.vulnerable_indicators(result)["all"]["reached_in_time_share"]
    assert share is not None
    return float(share)


@pytest.fixture(scope="module")
def base() -> tuple[Model, ModelResult]:
    m = model(["seed=1"])
    return m, m.run()


# --- the visitor streams -----------------------------------------------------------------


def test_visits_add_up_at_every_point_and_slice(base):
    m, result = base
    f = result.flows
    a = f.at_points
    assert a[:, :, COL["arrived"]].sum() > 10_000
    parts = ("admitted", "turned_away", "no_supplies", "not_offered")
    np.testing.assert_allclose(a[:, :, COL["arrived"]],
                               sum(a[:, :, COL[p]] for p in parts), atol=1e-6)
    np.testing.assert_allclose(f.arrived_by_need.sum(axis=2), a[:, :, COL["arrived"]])
    np.testing.assert_allclose(f.served_by_need.sum(axis=2), a[:, :, COL["served"]], atol=1e-6)
    # Served visits never exceed those admitted, which never exceed arrivals, at any time.
    cum = a.cumsum(axis=0)
    assert (cum[:, :, COL["served"]] <= cum[:, :, COL["admitted"]] + 1e-6).all()
    assert (cum[:, :, COL["admitted"]] <= cum[:, :, COL["arrived"]] + 1e-6).all()
    assert (a[:, :, COL["backlog"]] >= -1e-9).all()
    # Nobody admitted waits longer than the patience.
    admitted = a[:, :, COL["admitted"]]
    waits = a[:, :, COL["wait_hours"]]
    assert (waits <= admitted * m.params.population.patience_h + 1e-6).all()
    assert waits.sum() > 0


def test_every_visit_that_arose_went_to_a_point_or_found_none_in_reach(base):
    _, result = base
    f = result.flows
    arisen = f.arisen.sum(axis=1)  # [slice, need]
    went = f.arrived_by_need.sum(axis=1)
    unmet = f.unmet_no_reach.sum(axis=1)
    np.testing.assert_allclose(arisen, went + unmet)
    assert unmet.sum() > 0 and went.sum() > 0
    # Counts are whole visitors.
    np.testing.assert_array_equal(f.arisen, np.round(f.arisen))


def test_closed_points_receive_nobody_and_staff_serve_only_where_open(base):
    _, result = base
    f = result.flows
    closed = f.open_state[:, :, 0] == 0
    assert closed.any() and (~closed).any()
    assert (f.at_points[:, :, COL["arrived"]][closed] == 0).all()
    assert (f.at_points[:, :, COL["staff"]][closed] == 0).all()
    # Reduced points (no power) do not offer warmth or charging.
    reduced = f.open_state[:, :, 0] == 0.5
    assert reduced.any()
    asked = f.arrived_by_need[:, :, NEED["warmth"]] + f.arrived_by_need[:, :, NEED["charging"]]
    not_offered = f.at_points[:, :, COL["not_offered"]]
    np.testing.assert_allclose(not_offered[reduced], asked[reduced])
    assert (not_offered[~reduced] == 0).all()


def test_stocks_never_go_below_zero_and_warm_places_stay_within_capacity(base):
    m, result = base
    a = result.flows.at_points
    for col in ("water_l", "food_rations", "blankets", "warmth_occupied"):
        assert (a[:, :, COL[col]] >= 0).all(), col
    capacity = np.array([m.points[p].capacity for p in result.flows.points], float)
    assert (a[:, :, COL["warmth_occupied"]] <= capacity[None, :] + 1e-6).all()
    assert a[:, :, COL["warmth_occupied"]].max() > 0  # winter: people come for warmth


def test_goods_handed_out_never_exceed_goods_delivered(base):
    m, result = base
    r = result.records
    delivered = r[r["kind"] == "supplies_delivered"]
    assert len(delivered) > len(result.planned_points) / 2
    assert (delivered["value"] >= 0).all()
    food = delivered["detail"].str.split(":").str[0].astype(float)
    pp = m.params.population
    served = result.flows.served_by_need.sum(axis=(0, 1))
    per_water_visit = 3.0 * pp.water_l_per_person_day / 3.0 * pp.household_size
    assert served[NEED["water"]] * per_water_visit <= delivered["value"].sum() + 1e-6
    assert served[NEED["food"]] * pp.household_size <= food.sum() + 1e-6


def test_reach_is_a_share_and_nobody_is_in_reach_before_a_point_opens(base):
    _, result = base
    f = result.flows
    assert (f.in_reach >= 0).all() and (f.in_reach <= f.residents[None, :] + 1e-6).all()
    none_open = (f.open_state[:, :, 0] == 0).all(axis=1)
    assert none_open.any()
    assert (f.in_reach[none_open] == 0).all()
    np.testing.assert_allclose(f.unmet_no_reach[none_open], f.arisen[none_open])
    share = indicators.reach_share(result, hours(result.horizon_h)).dropna()
    assert share.between(0, 1).all() and share.max() > 0.8


def test_reach_counts_only_residents_still_without_power(base):
    _, result = base
    share = indicators.reach_share(result, hours(result.horizon_h))
    back = result.grid.last_restoration()
    assert back < result.horizon_h - 2
    # Once the power is back everywhere (and the points stood down) it is undefined, not 0.
    assert share[share.index >= back + 1].isna().all()
    assert share[(share.index >= 24) & (share.index < back)].notna().all()
    assert share[(share.index >= 72) & (share.index < back)].min() > 0.3
    # Per municipality: the lowest share while it is still without power, from 72 h.
    f = result.flows
    by = indicators.residents_indicators(result, 72)["within_reach_share"][
        "min_after_deadline_by_municipality"]
    for i, code in enumerate(f.municipalities):
        if code not in result.grid.restored_at:
            continue
        rows = (f.times >= 72) & (f.times < result.grid.restored_at[code])
        if rows.any():
            expected = (f.in_reach[rows, i] / f.residents[i]).min()
            assert by[code] == pytest.approx(expected, abs=1e-4)


def test_emergency_reports_go_to_the_meldkamer(base):
    _, result = base
    r = result.records
    reports = r[r["kind"] == "emergency_reports"]
    assert len(reports) > 0
    served = result.flows.served_by_need[:, :, NEED["emergency"]].sum()
    # Reports go out per whole report; fractions wait at each point.
    assert served - len(result.flows.points) <= reports["value"].sum() <= served + 1e-6
    ids = reports["detail"].str.split(":").str[0]
    delivered = r[r["kind"] == "message_delivered"]
    parts = delivered["detail"].str.split(":")
    to_meldkamer = set(parts[parts.str[1] == "meldkamer"].str[-1])
    arrived = ids.isin(to_meldkamer)
    assert arrived.mean() > 0.9  # all but those still under way at the horizon
    late = reports[~arrived]
    assert (late["time"] > result.horizon_h - 24).all()
    e = indicators.emergency_indicators(result)
    assert e["reported_at_points"] == reports["value"].sum()
    assert e["delivered_to_meldkamer"] <= e["reported_at_points"]


def test_public_order_incidents_arise_only_where_goods_run_short():
    calm = simulate(["seed=3", "population.public_order.chance_per_h=0"])
    assert (calm.records["kind"] != "public_order").all()
    scarce = ["seed=3", "population.public_order.chance_per_h=1",
              "population.public_order.wait_h=0", "support_points.supplies.water_l=200",
              "support_points.supplies.food_rations=60"]
    rough = simulate(scarce)
    r = rough.records
    incidents = r[r["kind"] == "public_order"]
    assert len(incidents) > 0 and (incidents["value"] > 0).all()
    sent = r[(r["kind"] == "message_sent") & r["detail"].str.startswith("police_request")]
    assert set(incidents["detail"]) <= set(sent["detail"].str.split(":").str[1])


def test_without_regional_stock_points_run_out_and_turn_people_away():
    result = simulate(["seed=4", "support_points.supplies.regional_water_l_per_1000=0",
                       "support_points.supplies.regional_food_rations_per_1000=0"])
    f = result.flows
    assert f.served_by_need[:, :, NEED["water"]].sum() == 0
    assert f.served_by_need[:, :, NEED["food"]].sum() == 0
    states = result.records.query("kind == 'point_state'")["detail"]
    assert (states == "out_of_supplies").any()
    assert not (states == "open_full").any() and not (states == "open_reduced").any()
    assert f.at_points[:, :, COL["arrived"]].sum() == 0  # they never open to visitors


def test_summer_brings_no_need_for_warmth_and_no_cold_at_home():
    result = simulate(["seed=5", "population.season=summer"])
    assert result.flows.arisen[:, :, NEED["warmth"]].sum() == 0
    cases = result.cases
    cold = cases[cases["group"].isin(["severe_mobility_alone", "frail_elderly_alone"])]
    assert len(cold) > 0 and (cold["outcome"] == "unaffected").all()
    assert (cases["outcome"] != "unaffected").any()


def test_farther_access_never_lowers_the_reach():
    fixed = ["seed=6", "support_points.supplies.close_when_out=false"]
    near = simulate(fixed)
    far = simulate([*fixed, "population.access.walk_km=2", "population.access.cycle_km=6"])
    a, b = near.flows, far.flows
    np.testing.assert_array_equal(a.open_state[:, :, 0], b.open_state[:, :, 0])
    assert (b.in_reach >= a.in_reach - 1e-6).all()
    assert b.in_reach.sum() > a.in_reach.sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_more_staff_shortens_waits_and_turns_fewer_away(seed):
    few = indicators.residents_indicators(simulate([f"seed={seed}"]), 72)["visits"]
    many = indicators.residents_indicators(
        simulate([f"seed={seed}", "staffing.red_cross_per_100k=200"]), 72)["visits"]
    assert many["mean_wait_h"] < few["mean_wait_h"]
    assert many["turned_away_queue"] < few["turned_away_queue"]
    assert many["served"] > few["served"]


def test_same_seed_gives_identical_flows_and_cases_and_another_seed_differs():
    a, b, c = simulate(["seed=7"]), simulate(["seed=7"]), simulate(["seed=8"])
    np.testing.assert_array_equal(a.flows.at_points, b.flows.at_points)
    assert_frame_equal(a.cases, b.cases)
    assert not np.array_equal(a.flows.at_points, c.flows.at_points)
    assert not a.cases["outcome"].equals(c.cases["outcome"])


# --- vulnerable residents -------------------------------------------------------------------


def test_every_case_has_one_consistent_outcome(base):
    m, result = base
    c = result.cases
    counts = c.groupby("group").size()
    groups = m.params.population.vulnerable
    assert set(counts.index) == {g.name for g in groups}
    # Counts follow the shares per 100,000 residents, municipality by municipality.
    f = result.flows
    per_muni = c.groupby(["group", "municipality"]).size()
    for g in groups:
        expected = pd.Series(np.round(f.residents * g.per_100k / 1e5).astype(int),
                             index=f.municipalities)
        got = per_muni.loc[g.name].reindex(f.municipalities, fill_value=0)
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    reached = c["outcome"].isin(REACHED)
    assert (c.loc[reached, "reached_at"] < c.loc[reached, "harm_at"]).all()
    assert c.loc[reached, "in_danger"].all()
    harmed = c[c["outcome"] == "harmed"]
    assert len(harmed) > 0
    assert (harmed["harm_at"] <= result.horizon_h).all()
    assert (harmed["danger_end"] > harmed["harm_at"]).all()
    assert not np.isfinite(harmed["reached_at"]).any()
    restored = c[c["outcome"] == "restored"]
    assert (restored["danger_end"] <= restored["harm_at"]).all()
    assert not restored["in_danger"].any()
    unaffected = c[c["outcome"] == "unaffected"]
    assert not np.isfinite(unaffected["clock_start"]).any()
    # The help that came first decides who reached the case.
    for outcome, column in (("outreach", "outreach_at"), ("neighbour", "neighbour_at"),
                            ("self", "self_at")):
        rows = c[c["outcome"] == outcome]
        assert len(rows) > 0, outcome
        np.testing.assert_array_equal(rows["reached_at"], rows[column])
    # Nobody on home ventilation travels on their own.
    assert not (c[c["group"] == "home_ventilation"]["outcome"] == "self").any()


def test_outreach_comes_from_an_open_point_in_range(base):
    _, result = base
    c = result.cases
    out = c[c["outcome"] == "outreach"]
    assert (out["point"] != "").all()
    f = result.flows
    index = {p: i for i, p in enumerate(f.points)}
    cols = out["point"].map(index).to_numpy()
    slices = np.searchsorted(f.times, out["outreach_at"].to_numpy(), side="right") - 1
    # The team left in an earlier or the same slice; its point was open and staffed then.
    assert (f.open_state[:, cols, 2].max(axis=0) > 0).all()
    assert (slices >= 0).all()
    assert (out["outreach_at"] >= out["known_at"]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_registry_never_lowers_the_share_reached_in_time(seed):
    without = simulate([f"seed={seed}"])
    registry = simulate([f"seed={seed}", "population.outreach.registry=true"])
    a, b = without.cases, registry.cases
    # The same cases in danger (common random numbers; danger does not depend on help).
    np.testing.assert_array_equal(a["in_danger"], b["in_danger"])
    # Nobody becomes known later with a registry.
    known_a, known_b = a["known_at"].to_numpy(), b["known_at"].to_numpy()
    assert (known_b <= known_a + 1e-9).all() and (known_b < known_a).any()
    assert reached_share(registry) > reached_share(without)


@pytest.mark.parametrize("seed", SEEDS)
def test_reservists_drawn_away_never_raise_the_share_reached_in_time(seed):
    order = [f"seed={seed}", "support_points.activation.trigger=order"]
    without = simulate(order)
    drawn = simulate([*order, "staffing.reservist_share=0.5", "staffing.reservists_leave_h=6"])
    assert reached_share(drawn) <= reached_share(without)
    at = hours(168)
    cp_a = points.cp_functional_share(without, at)
    cp_b = points.cp_functional_share(drawn, at)
    assert cp_b.sum() < cp_a.sum()


def test_acceptance_no_backup_and_no_trigger_harms_more_vulnerable_residents():
    neither = simulate(["seed=5", "stations.backup_power=none",
                        "support_points.backup_power=none",
                        "support_points.activation.trigger=order"])
    both = simulate(["seed=5", "stations.backup_power=all", "support_points.backup_power=all",
                     "support_points.activation.trigger=automatic"])
    # Open at 72 h, and open with power over the first 72 h (small generators need
    # fuel every few hours, so at any one moment many are waiting for a truck).
    at = hours(72)
    open_neither = points.point_shares(neither, at)
    open_both = points.point_shares(both, at)
    assert open_both["open"].iloc[-1] >= open_neither["open"].iloc[-1]
    assert open_both["open_full"].mean() > open_neither["open_full"].mean()
    assert open_both["open"].mean() > open_neither["open"].mean()
    v_neither = indicators.vulnerable_indicators(neither)["all"]
    v_both = indicators.vulnerable_indicators(both)["all"]
    assert v_both["harmed"] < v_neither["harmed"]
    assert v_both["in_danger"] == v_neither["in_danger"]


# --- indicators -------------------------------------------------------------------------------


def test_residents_indicators_agree_with_the_flows(base):
    _, result = base
    ind = indicators.residents_indicators(result, 72)
    f = result.flows
    v = ind["visits"]
    assert v["arrived"] == pytest.approx(f.at_points[:, :, COL["arrived"]].sum())
    assert v["served"] == pytest.approx(f.at_points[:, :, COL["served"]].sum(), abs=1)
    assert v["arisen"] == pytest.approx(v["arrived"] + v["no_point_in_reach"])
    assert sum(n["served"] for n in v["by_need"].values()) == pytest.approx(v["served"], abs=1)
    reach = ind["within_reach_share"]
    assert 0 <= reach["min_after_deadline"] <= reach["mean_after_deadline"] <= 1
    assert set(reach["min_after_deadline_by_municipality"]) <= set(f.municipalities)
    vul = indicators.vulnerable_indicators(result)
    assert sum(g["cases"] for g in vul["by_group"].values()) == vul["all"]["cases"]
    assert sum(g["harmed"] for g in vul["by_group"].values()) == vul["all"]["harmed"]
    frame = f.point_frame()
    assert set(frame.columns) >= {"time", "site", *POINT_COLUMNS}
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0


def test_visitors_spread_over_the_open_points_of_their_village():
    nearest = simulate(["seed=9", "population.access.spread_km=0"])
    spread = simulate(["seed=9", "population.access.spread_km=0.5"])
    a, b = nearest.flows, spread.flows
    # The same visitors arrive, fewer of them per point, at more points.
    np.testing.assert_allclose(a.arisen, b.arisen)
    arrived_a = a.at_points[:, :, COL["arrived"]]
    arrived_b = b.at_points[:, :, COL["arrived"]]
    np.testing.assert_allclose(arrived_a.sum(axis=1)[:30], arrived_b.sum(axis=1)[:30])
    assert (arrived_b.sum(axis=0) > 0).sum() > (arrived_a.sum(axis=0) > 0).sum()
    assert arrived_b.max() < arrived_a.max()
    wait_a = indicators.residents_indicators(nearest, 72)["visits"]["mean_wait_h"]
    wait_b = indicators.residents_indicators(spread, 72)["visits"]["mean_wait_h"]
    assert wait_b < wait_a


def test_points_short_of_food_are_reported_apart_from_points_out_of_everything():
    scarce = indicators.supplies_indicators(simulate(
        ["seed=2", "support_points.supplies.regional_food_rations_per_1000=0",
         "support_points.supplies.food_rations=300"]))
    plenty = indicators.supplies_indicators(simulate(
        ["seed=2", "support_points.supplies.regional_food_rations_per_1000=100000"]))
    # Food runs out while water lasts: the points stay open, short of food.
    assert scarce["points_short_of_food"] > 10
    assert scarce["points_short_of_food"] > scarce["points_out_of_supplies"]
    assert scarce["first_short_of_food_h"] is not None
    assert scarce["point_hours_short_of_food"] > plenty["point_hours_short_of_food"]
    assert plenty["points_short_of_food"] < scarce["points_short_of_food"]


def test_nearest_first_is_the_stable_sort_of_the_finite_keys():
    from sim.mathutil import nearest_first, sum_rows

    rng = np.random.default_rng(4)
    key = np.round(rng.uniform(0, 5, (40, 300)), 1)  # many ties
    key[rng.random(key.shape) < 0.9] = np.inf
    width = int(np.isfinite(key).sum(axis=1).max())
    got = nearest_first(key, width)
    want = np.argsort(key, axis=1, kind="stable")[:, :width]
    finite = np.isfinite(np.take_along_axis(key, want, axis=1))
    assert (got[finite] == want[finite]).all()
    index = rng.integers(0, 7, 50)
    a, b = rng.random((50, 3)), rng.random((50, 2))
    w = rng.random(50)
    out = sum_rows(index, 7, a, b, weights=w)
    expected = np.stack([np.bincount(index, weights=c * w, minlength=7)
                         for c in np.concatenate([a, b], axis=1).T], axis=1)
    np.testing.assert_allclose(out, expected)


def test_the_points_keep_the_residents_view_of_their_state_and_staff_current():
    from sim.model.points import STATE_VALUE

    m = model(["seed=1", "horizon_h=72"])
    res = m.residents
    slice_ = res.slice
    checked = []

    def checking(t0: float, length: float) -> None:
        state, staff = res._states()
        assert state.tolist() == [STATE_VALUE[pt.state] for pt in res.points]
        assert staff.tolist() == [float(len(pt.post.on_duty)) for pt in res.points]
        checked.append(float(staff.sum()))
        slice_(t0, length)

    res.slice = checking
    m.run()
    assert len(checked) == 72 and max(checked) > 0
