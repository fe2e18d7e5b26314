"""Model part 2 (first half): staffing, coordination points, local support points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import compose_config

from sim.model.engine import Model
from sim.params.validate import prepare
from sim.results import indicators, points
from sim.results.records import affected_sites, hours, site_state
from sim.results.run import build_network

SEEDS = (1, 2)
#: A smaller area keeps these comparisons quick; the mechanisms are the same.
AREA = ["region.select.regions=[VGZ,Twente]"]


def model(overrides: list[str]) -> Model:
    scenario = prepare(compose_config([*AREA, *overrides]))
    return Model(scenario, build_network(scenario))


def shares_at_72(overrides: list[str]) -> tuple[float, float, float]:
    """(points open with power, points open at all, coordination points functioning) at 72 h."""
    result = model(overrides).run()
    at = np.array([72.0])
    shares = points.point_shares(result, at).iloc[0]
    cp = points.cp_functional_share(result, at).iloc[0]
    return float(shares["open_full"]), float(shares["open"]), float(cp)


def test_shifts_respect_the_limit_and_rest_and_nobody_is_double_booked():
    m = model(["seed=1"])
    result = m.run()
    r = result.records
    shifts = r[r["kind"] == "shift_end"].copy()
    assert len(shifts) > 1000
    st = m.params.staffing
    # A shift is extended only where a small pool has no relief, up to the longest duty.
    assert shifts["value"].max() <= st.max_duty_hours + 1e-9
    assert (shifts["value"] <= st.shift_hours + 1e-9).mean() > 0.9
    shifts["person"] = shifts["detail"].str.split(":").str[0]
    shifts["start"] = shifts["time"] - shifts["value"]
    for _person, group in shifts.sort_values("time").groupby("person"):
        starts, ends = group["start"].to_numpy(), group["time"].to_numpy()
        assert (starts[1:] >= ends[:-1] + st.rest_hours - 1e-9).all()


def test_staff_on_duty_never_exceed_the_need_or_the_pool():
    # Nobody drops out here: whoever is on duty was put there within the roster's cap.
    m = model(["seed=2", "staffing.leave_per_day=0"])
    r = m.run().records
    duty = r[r["kind"] == "staff_on_duty"]
    posts = [cp.post for cp in m.coordination.values()] + [p.post for p in m.points.values()]
    pools = {post.id: len(post.people) for post in posts}
    targets = {post.id: post.target for post in posts}
    assert (duty["value"].to_numpy() <= duty["site"].map(targets).to_numpy()).all()
    assert (duty["value"].to_numpy() <= duty["site"].map(pools).to_numpy()).all()
    # No reservists here: on duty never exceed what the roster allows (relief kept back).
    allowed = duty["detail"].str.split(":").str[2].astype(int)
    assert (duty["value"] <= allowed).all()
    # Local points put more than the minimum on duty where their pool allows.
    local = duty[duty["site"].str.startswith("LP-")]
    assert local["value"].max() > m.params.staffing.min_staff_per_point
    assert (duty["value"] >= 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_more_volunteers_never_lower_the_share_open_at_72h(seed):
    few = shares_at_72([f"seed={seed}", "staffing.red_cross_per_100k=20",
                        "staffing.municipal_staff_per_10k=6"])
    many = shares_at_72([f"seed={seed}", "staffing.red_cross_per_100k=120",
                         "staffing.municipal_staff_per_10k=6"])
    assert many[0] >= few[0] and many[1] >= few[1]
    assert many[1] > few[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_an_automatic_trigger_never_lowers_the_share_open_at_72h(seed):
    order = shares_at_72([f"seed={seed}", "support_points.activation.trigger=order",
                          "staffing.self_mobilisation_h=null"])
    automatic = shares_at_72([f"seed={seed}", "support_points.activation.trigger=automatic",
                              "staffing.self_mobilisation_h=null"])
    assert automatic[0] >= order[0] and automatic[1] >= order[1]
    assert automatic[1] > order[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_more_backup_power_never_lowers_the_shares(seed):
    # The regions' own means: help from outside brings generators to whoever lacks
    # them and would hide what the own backup power does (tests/test_aid.py).
    own_means = [f"seed={seed}", "aid.enabled=false"]
    base = shares_at_72([*own_means, "support_points.backup_power=none"])
    own = shares_at_72([*own_means, "support_points.backup_power=all"])
    assert own[0] >= base[0] and own[0] > base[0]
    mobile = shares_at_72([*own_means, "support_points.backup_power=none",
                           "power.mobile.per_region.VGZ=30", "power.mobile.per_region.Twente=30"])
    assert mobile[0] >= base[0] and mobile[0] > base[0]
    stations = shares_at_72([*own_means, "stations.backup_power=all"])
    no_stations = shares_at_72([*own_means, "stations.backup_power=none"])
    assert stations[2] >= no_stations[2] and stations[2] > no_stations[2]


@pytest.mark.parametrize("seed", SEEDS)
def test_reservists_drawn_away_never_raise_the_coordination_points(seed):
    at = hours(168)
    without = model([f"seed={seed}"]).run()
    drawn = model([f"seed={seed}", "staffing.reservist_share=0.5",
                   "staffing.reservists_leave_h=12"]).run()
    a = points.cp_functional_share(without, at)
    b = points.cp_functional_share(drawn, at)
    both = a.notna() & b.notna()  # undefined once every point has stood down
    assert both.sum() > 96
    assert (b[both] <= a[both] + 1e-12).all()
    assert b.sum() < a.sum()


def test_points_close_for_good_after_the_nafase():
    m = model(["seed=3", "outage.duration.hours=48", "outage.waves=[]",
               "support_points.nafase_h=12"])
    result = m.run()
    r = result.records
    closed = r[r["kind"] == "point_closed"]
    assert set(closed["site"]) == set(result.planned_points)
    assert np.allclose(closed["time"], 60.0)
    last = r[r["kind"] == "point_state"].groupby("site")["detail"].last()
    assert (last == "stood_down").all()
    # Coordination points stand down then too; stood-down points leave the shares, which
    # end (are undefined) instead of dropping to 0.
    down = r[r["kind"] == "cp_stood_down"]
    assert np.allclose(down["time"], 60.0) and len(down) == len(result.coordination_points)
    at = np.array([59.0, 61.0])
    shares = points.point_shares(result, at)
    cp = points.cp_functional_share(result, at)
    assert shares.loc[59.0].notna().all() and cp.loc[59.0] > 0.9
    assert shares.loc[61.0].isna().all() and np.isnan(cp.loc[61.0])


def test_phased_activation_orders_points_in_phases():
    result = model(["seed=4", "support_points.activation.policy=phased",
                    "support_points.activation.trigger=automatic",
                    "support_points.activation.phases=[{share: 0.5, at_h: 2},"
                    "{share: 0.5, at_h: 30}]"]).run()
    r = result.records
    activated = r[r["kind"] == "point_activated"]["time"]
    assert len(activated) == len(result.planned_points)
    assert (activated == 2).sum() == pytest.approx(len(activated) / 2, abs=1)
    assert (activated == 30).sum() == pytest.approx(len(activated) / 2, abs=1)


def test_acceptance_no_backup_and_no_trigger_opens_fewer_points_than_both():
    # the regions' own means, as in the acceptance example (help from outside: test_aid)
    neither = shares_at_72(["seed=5", "stations.backup_power=none",
                            "support_points.activation.trigger=order",
                            "staffing.self_mobilisation_h=null", "aid.enabled=false"])
    both = shares_at_72(["seed=5", "stations.backup_power=all",
                         "support_points.activation.trigger=automatic", "aid.enabled=false"])
    assert both[0] >= neither[0] and both[1] > neither[1] and both[2] > neither[2]


def test_budget_cuts_do_not_raise_the_coordination_points():
    # Smaller crews: fewer coordination-point hours, and no more functioning at the
    # reporting hours. (Hour by hour a roster may differ either way: a smaller crew
    # can be on duty at a moment a larger one is resting.)
    at = hours(168)
    base = model(["seed=1"]).run()
    cut = model(["seed=1", "stations.closed_volunteer_posts_share=0.3"]).run()
    a = points.cp_functional_share(base, at)
    b = points.cp_functional_share(cut, at)
    assert b.mean() < a.mean()
    # The smaller crews hold their posts with longer shifts.
    def mean_shift(result) -> float:
        return float(result.records.loc[result.records["kind"] == "shift_end", "value"].mean())
    assert mean_shift(cut) > mean_shift(base)
    for hour in (24.0, 48.0, 72.0):
        assert b[hour] <= a[hour] + 1e-12


def test_priority_activation_opens_listed_sites_in_order():
    m = model(["seed=5", "support_points.activation.policy=priority",
               "support_points.activation.trigger=automatic",
               "support_points.activation.priority=[community_centre,sports_hall]",
               "support_points.activation.per_municipality=2",
               "support_points.activation.step_h=3"])
    result = m.run()
    sp = m.region.support_point_candidates.set_index("id")
    planned = sp.loc[result.planned_points]
    assert set(planned["type"]) <= {"community_centre", "sports_hall"}
    assert planned.groupby("municipality").size().max() == 2
    r = result.records
    activated = r[r["kind"] == "point_activated"].set_index("site")["time"]
    assert set(activated.index) == set(result.planned_points)
    for _code, group in planned.groupby("municipality"):
        times = activated[group.index].sort_values()
        assert times.iloc[0] == pytest.approx(m.params.support_points.auto_trigger_h)
        if len(times) == 2:
            assert times.iloc[1] - times.iloc[0] == pytest.approx(3.0)
            first, second = times.index
            rank = {"community_centre": 0, "sports_hall": 1}
            assert (rank[sp.loc[first, "type"]], -sp.loc[first, "capacity"]) <= (
                rank[sp.loc[second, "type"]], -sp.loc[second, "capacity"])
    # Every municipality with a listed site has a planned point; unlisted sites stay closed.
    listed = sp[sp["type"].isin(["community_centre", "sports_hall"])
                & sp["municipality"].isin(m.scenario.affected_codes())]
    assert set(planned["municipality"]) == set(listed["municipality"])


def test_key_holders_and_low_fuel_are_recorded():
    m = model(["seed=2", "support_points.backup_power=all"])
    result = m.run()
    r = result.records
    keys = r[r["kind"] == "key_holder"].set_index("site")
    activated = r[r["kind"] == "point_activated"].set_index("site")["time"]
    assert set(keys.index) == set(activated.index)
    np.testing.assert_allclose(keys["time"] - activated[keys.index], keys["value"])
    opened = r[(r["kind"] == "point_state") & r["detail"].str.startswith("open")]
    first_open = opened.groupby("site")["time"].min()
    assert (first_open >= keys.loc[first_open.index, "time"] - 1e-9).all()
    low = r[r["kind"] == "fuel_low"]
    assert len(low) > 0
    tanks = {site.fixed.id: site.fixed.tank_l for site in m.sites.values()
             if site.fixed is not None}
    tanks.update({u.gen.id: u.gen.tank_l for pool in m.mobile.values() for u in pool.units})
    requests = r[r["kind"] == "fuel_request"]
    first_request = requests.groupby(requests["detail"].str.split(":").str[1])["time"].min()
    for row in low.itertuples():
        assert row.value == pytest.approx(0.25 * tanks[row.detail], rel=1e-6)
        # A generator is low only while waiting: it asked for fuel before.
        assert first_request.get(row.detail, np.inf) <= row.time


#: Everyone can come and nobody drops out: only the roster decides who is on duty.
EVERYONE = ["staffing.volunteer_availability_day=1", "staffing.volunteer_availability_night=1",
            "staffing.professional_availability=1", "staffing.later.share=0",
            "staffing.leave_per_day=0"]


def test_a_post_with_two_full_crews_never_falls_below_its_minimum_because_of_the_roster():
    m = model(["seed=3", *EVERYONE])
    r = m.run().records
    duty = r[r["kind"] == "staff_on_duty"]
    posts = [cp.post for cp in m.coordination.values()] + [p.post for p in m.points.values()]
    checked = 0
    for post in posts:
        pros = sum(p.professional for p in post.people)
        if len(post.people) < 2 * post.required or pros < 2 * post.min_professionals:
            continue
        if not all(math.isfinite(p.arrived_at) for p in post.people):
            continue  # closed before everyone came
        everyone_in = max(p.arrived_at for p in post.people)
        mine = duty[(duty["site"] == post.id) & (duty["time"] >= everyone_in)]
        mine = mine.groupby("time").tail(1)  # the state once all at that moment is done
        active = mine["detail"].str.split(":").str[1] == "1"
        assert (mine.loc[active, "value"] >= post.required).all(), post.id
        checked += active.sum() > 0
    assert checked > 20


def _flickering(result, at):
    """Coordination points functional in one shift and not in the next, over and over."""
    state = site_state(result, "cp_functional",
                       affected_sites(result, result.coordination_points), at, initial=0.0)
    shifts = state.iloc[::8]  # one sample per 8-hour shift
    changes = (shifts.diff().abs() > 0).sum()
    return int((changes >= 6).sum())


def test_people_not_available_when_called_can_come_later():
    at = np.arange(24.0, 97.0, 1.0) + 4.0  # mid-shift, from day two to the restoration
    # Without long shifts, so the roster shows what the pool itself can do.
    once = model(["seed=4", "staffing.later.share=0", "staffing.max_duty_hours=8"]).run()
    later = model(["seed=4", "staffing.max_duty_hours=8"]).run()
    cp_once = points.cp_functional_share(once, at)
    cp_later = points.cp_functional_share(later, at)
    assert cp_later.mean() > cp_once.mean() + 0.05
    assert _flickering(later, at) < _flickering(once, at)
    # Who comes later works too: more people take shifts.
    people = {name: res.records[res.records["kind"] == "shift_end"]["detail"].nunique()
              for name, res in (("once", once), ("later", later))}
    assert people["later"] > people["once"]


def test_people_who_drop_out_leave_gaps():
    at = np.arange(24.0, 97.0, 1.0) + 4.0
    stay = model(["seed=4", "staffing.leave_per_day=0"]).run()
    leave = model(["seed=4", "staffing.leave_per_day=0.5"]).run()
    assert (points.cp_functional_share(leave, at).mean()
            < points.cp_functional_share(stay, at).mean())
    worked = {name: res.records[res.records["kind"] == "shift_end"]["value"].sum()
              for name, res in (("stay", stay), ("leave", leave))}
    assert worked["leave"] < 0.8 * worked["stay"]


def _norm_by_hand(result, deadline: float) -> tuple[int, int]:
    """(points without grid at the deadline, of those open with generator power), from the
    records: the last point state and power source of each planned point by then."""
    r = result.records
    upto = r[r["time"] <= deadline]
    state = upto[upto["kind"] == "point_state"].groupby("site")["detail"].last()
    source = upto[upto["kind"] == "site_power"].groupby("site")["detail"].last()
    without = on_backup = 0
    for site in result.planned_points:
        if result.grid.powered(result.site_municipality[site], deadline):
            continue
        if state.get(site, "closed") == "stood_down":
            continue
        without += 1
        on_backup += (state.get(site) == "open_full"
                      and source.get(site, "grid") in ("fixed", "mobile"))
    return without, on_backup


def test_the_72_hour_norm_counts_points_on_backup_power_while_the_grid_is_off():
    result = model(["seed=2", "support_points.backup_power=all", "support_points.autonomy_h=66"]
                   ).run()
    pi = indicators.indicators(result, {c: 1 for c in result.grid.timelines})["local_points"]
    norm = pi["norm_72h"]
    without, on_backup = _norm_by_hand(result, 72.0)
    assert norm["points_without_grid"] == without > 50
    assert norm["operational_on_backup"] == on_backup > 0
    assert norm["share"] == pytest.approx(on_backup / without, abs=1e-4)
    assert "on backup power, while the grid is still off" in norm["definition"]
    # Without any generator at the points (and none brought), nothing counts for the norm,
    # while points do open with reduced functions.
    bare = model(["seed=2", "support_points.backup_power=none",
                  "power.mobile.priority=[coordination_point]"]).run()
    pb = indicators.indicators(bare, {c: 1 for c in bare.grid.timelines})["local_points"]
    assert pb["norm_72h"]["share"] == 0.0 and pb["operational_on_backup_ever"] == 0
    assert pb["hours_until_all_operational_on_backup"] is None
    # The old "until all operational" counts the grid's return; the new one does not.
    assert pb["hours_until_all_operational"] is None or pb["hours_until_all_operational"] >= (
        bare.grid.duration_h)


def test_a_small_pool_works_long_shifts_rather_than_leave_its_post_every_other_shift():
    # Haaksbergen 2005, split in two areas: with half the volunteers available by day,
    # each post's pool is often short of two crews.
    def functional_share(seed: int, extra: list[str]) -> float:
        scenario = prepare(compose_config(["scenarios=haaksbergen_2005", f"seed={seed}",
                                           *extra]))
        result = Model(scenario, build_network(scenario)).run()
        at = np.arange(2.0, 40.0, 1.0)
        state = site_state(result, "cp_functional",
                           affected_sites(result, result.coordination_points), at,
                           initial=0.0)
        return float(state.to_numpy().mean())

    for seed in (1, 3):
        no_overtime = functional_share(seed, ["staffing.max_duty_hours=8"])
        overtime = functional_share(seed, [])
        assert overtime > no_overtime + 0.15
