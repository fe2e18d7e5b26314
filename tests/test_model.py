"""Model part 1 behaviour: outage, power at the sites, fuel, messages (same seeds, CRN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose_config
from pandas.testing import assert_frame_equal

from sim.model.engine import Model
from sim.params.validate import prepare
from sim.results import indicators
from sim.results.records import hours
from sim.results.run import build_network, run

SEEDS = (1, 2, 3)
#: Two of the five regions keep the comparisons over several runs quick; the mechanisms
#: (stations, generators, trucks per region) are the same in each region.
AREA = ["region.select.regions=[VGZ,Twente]"]


def model(overrides: list[str]) -> Model:
    scenario = prepare(compose_config(overrides))
    return Model(scenario, build_network(scenario))


def simulate(overrides: list[str]):
    return model(overrides).run()


def test_same_seed_gives_identical_records_and_another_seed_differs():
    a = simulate(["seed=11"]).records
    b = simulate(["seed=11"]).records
    assert_frame_equal(a, b)
    c = simulate(["seed=12"]).records
    assert not a.equals(c)


@pytest.mark.parametrize("seed", SEEDS)
def test_backup_power_everywhere_keeps_more_coordination_points_powered(seed):
    # The region's own means: help from outside would bring mobile generators (which
    # never break down) to the stations without backup and blur the comparison.
    common = [*AREA, f"seed={seed}", "stations.coordination_points=prefer_backup",
              "aid.enabled=false"]
    with_backup = simulate([*common, "stations.backup_power=all"])
    without = simulate([*common, "stations.backup_power=none"])
    at = hours(with_backup.horizon_h)
    share_with = indicators.powered_share(with_backup, ["coordination_point"], at)
    share_without = indicators.powered_share(without, ["coordination_point"], at)
    assert (share_with >= share_without).all()
    assert share_with.loc[24.0] > share_without.loc[24.0] + 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_fewer_fuel_trucks_never_shorten_the_time_generators_stand_dry(seed):
    dry = []
    for trucks in (1, 2, 4):
        result = simulate([*AREA, f"seed={seed}", "stations.backup_power=all",
                           *[f"fuel.trucks_per_region.{r}={trucks}" for r in ("VGZ", "Twente")]])
        dry.append(indicators.generator_hours_lost(result)["empty_tanks"])
    assert dry[0] >= dry[1] >= dry[2]
    assert dry[0] > dry[2]


def test_tanks_stay_within_capacity_and_fuel_balances():
    m = model(["seed=4", "stations.backup_power=all"])
    result = m.run()
    gens = [s.fixed for s in m.sites.values() if s.fixed is not None]
    gens += [u.gen for pool in m.mobile.values() for u in pool.units]
    gens += [g for g in m.aid.joined if g not in gens]  # outside units, gone back or not
    assert len(gens) > 200 and m.aid.joined
    for g in gens:
        g._sync()
        assert 0.0 <= g.level <= g.tank_l + 1e-9, g.id
        # Nothing burnt that was not in the tank or delivered.
        assert g.burnt_l <= g.tank_l + g.received_l + 1e-6, g.id
        assert g.level == pytest.approx(g.tank_l + g.received_l - g.burnt_l, abs=1e-6)
    r = result.records
    requests = r[r["kind"] == "fuel_request"]["detail"].str.split(":").str[0]
    delivered = r[r["kind"] == "fuel_delivered"]["detail"].str.split(":").str[0]
    assert requests.is_unique and delivered.is_unique
    assert set(delivered) <= set(requests)
    assert (r.loc[r["kind"] == "fuel_request", "value"] >= 0).all()
    # Every delivery fits in the tank it went to.
    tank = {g.id: g.tank_l for g in gens}
    d = r[r["kind"] == "fuel_delivered"]
    gen_ids = d["detail"].str.split(":").str[1]
    assert (d["value"].to_numpy() <= gen_ids.map(tank).to_numpy() + 1e-9).all()
    assert (d["value"] > 0).any()


@pytest.mark.parametrize(("hours", "horizon"), [(48, 72), (336, 360)])
def test_short_and_two_week_outages_run_to_the_end_and_everything_returns(hours, horizon):
    m = model([f"outage.duration.hours={hours}", f"horizon_h={horizon}", "outage.waves=[]"])
    result = m.run()
    r = result.records
    assert r["time"].max() <= horizon
    assert result.grid.last_restoration() == hours
    for code in m.region.municipalities["code"]:
        assert result.grid.powered(code, horizon)
        assert all(result.cascade.state(code, horizon).values()), code
    assert all(s.powered() and s.source == "grid" for s in m.sites.values())
    assert all(u.gen.state != "running" for pool in m.mobile.values() for u in pool.units)


def test_records_are_in_time_order_and_every_kind_is_documented():
    from sim.model.records import KINDS

    r = simulate(["seed=5"]).records
    assert r["time"].is_monotonic_increasing
    assert set(r["kind"]) <= set(KINDS)
    assert {"grid", "service", "site_power", "fuel_delivered", "message_delivered"} <= set(
        r["kind"])


def test_unpowered_coordination_points_get_mobile_generators_first():
    m = model(["seed=6", "stations.backup_power=none", "region.select.regions=[Twente]",
               "power.mobile.per_region.Twente=1"])
    pool = m.mobile["Twente"]
    (unit,) = pool.units
    cp = next(s for s in m.sites.values() if s.role == "coordination_point")
    sps = [s for s in m.sites.values() if s.role == "support_point" and s.fixed is None][:3]
    unit.busy = True
    for site in [*sps, cp]:
        site.wants_mobile = True
        site.grid_on = False
        pool.request(site)
    assert len(pool.queue) == 4
    unit.busy = False
    pool.dispatch()
    dispatched = m.rec.frame().query("kind == 'mobile_dispatched'")
    assert dispatched["site"].tolist() == [cp.id]


def test_fuel_goes_to_care_and_coordination_points_before_local_points():
    result = simulate(["seed=7", "stations.backup_power=all"])
    fuel = indicators.fuel_indicators(result)
    by_kind = fuel["wait_h_by_site_kind"]
    assert by_kind["coordination_point"]["mean"] < by_kind["support_point"]["mean"]
    assert fuel["outside_wait_h_by_kind"]["care"]["mean"] < by_kind["support_point"]["mean"]


def test_mobile_generators_travel_and_connect_at_unpowered_coordination_points():
    # the region's own pool (help from outside also reaches local points)
    result = simulate(["seed=8", "stations.backup_power=none", "aid.enabled=false"])
    r = result.records
    arrived = r[r["kind"] == "mobile_arrived"]
    assert len(arrived) >= 10
    assert set(arrived["site"].map(result.site_roles)) == {"coordination_point"}
    dispatched = r[r["kind"] == "mobile_dispatched"]
    # They travel over the network (zero only where the base is at the site's own town).
    assert (dispatched["value"] >= 0).all() and (dispatched["value"] > 0).mean() > 0.8
    powered_by_mobile = r[(r["kind"] == "site_power") & (r["detail"] == "mobile")]
    assert len(powered_by_mobile) >= len(arrived) - 1


def test_dares_shortens_message_delays():
    base = run(prepare(compose_config(["seed=9"]))).summary["indicators"]["messages"]
    dares = run(prepare(compose_config(
        ["seed=9", "comms.dares_regions=[VNOG,VGGM,VGZ,IJsselland,Twente]"])))
    m = dares.summary["indicators"]["messages"]
    assert m["delay_h"]["mean"] < base["delay_h"]["mean"]
    assert m["hops_by_channel"].get("dares", 0) > 0
    assert "dares" not in base["hops_by_channel"]


def test_acceptance_indicators_move_the_expected_way():
    def summary_of(extra: list[str]) -> dict:
        return run(prepare(compose_config([*AREA, "seed=10", *extra]))).summary["indicators"]

    base = summary_of([])
    backup = summary_of(["stations.backup_power=all"])
    assert (backup["coordination_points_powered_share"]["mean_during_outage"]
            > base["coordination_points_powered_share"]["mean_during_outage"])
    regions = ("VGZ", "Twente")
    few = summary_of([f"fuel.trucks_per_region.{r}=1" for r in regions])
    many = summary_of([f"fuel.trucks_per_region.{r}=6" for r in regions])
    assert few["fuel"]["wait_h"]["mean"] > many["fuel"]["wait_h"]["mean"]
    assert (few["generators"]["hours_lost_to_empty_tanks"]
            >= many["generators"]["hours_lost_to_empty_tanks"])


def test_waves_and_rotating_supply_run_end_to_end():
    result = simulate([
        "seed=3",
        "outage.waves=[{share: 0.5, after: {distribution: fixed, hours: 0}},"
        "{share: 0.5, after: {distribution: uniform, low: 12, high: 24}}]",
        "outage.rotating.enabled=true",
    ])
    grid = result.records[result.records["kind"] == "grid"]
    on_counts = grid[grid["value"] == 1].groupby("municipality").size()
    assert (on_counts > 1).any()  # rotation switches some municipalities on more than once
    assert 96 <= result.grid.last_restoration() <= 120
    assert pd.Series(result.grid.wave_of).nunique() == 2


def test_the_depot_can_be_placed_by_the_planner():
    default = model(["seed=2"])
    moved = model(["seed=2", "fuel.depot_municipalities.VNOG=GM0294"])
    assert default.bases["VNOG"].municipality == "GM0200"  # Apeldoorn, the most populous
    assert moved.bases["VNOG"].municipality == "GM0294"  # Winterswijk


def _mobile_intervals(r: pd.DataFrame) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    moves = r[r["kind"].isin(["mobile_arrived", "mobile_released"])]
    for site, group in moves.groupby("site"):
        start = None
        for kind, t in zip(group["kind"], group["time"], strict=True):
            if kind == "mobile_arrived":
                start = t
            elif start is not None:
                out.setdefault(str(site), []).append((start, t))
                start = None
        if start is not None:
            out.setdefault(str(site), []).append((start, float("inf")))
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_a_mobile_unit_leaves_once_the_own_generator_runs_again(seed):
    result = simulate([f"seed={seed}"])
    r = result.records
    connected = _mobile_intervals(r)
    fixed = r[(r["kind"] == "site_power") & (r["detail"] == "fixed")]
    for site, t in zip(fixed["site"], fixed["time"], strict=True):
        assert not any(a <= t < b for a, b in connected.get(site, [])), (site, t)


def test_under_rotating_supply_units_are_not_doubled_and_every_trip_ends():
    result = simulate([
        "seed=3",
        "outage.waves=[{share: 0.5, after: {distribution: fixed, hours: 0}},"
        "{share: 0.5, after: {distribution: uniform, low: 12, high: 24}}]",
        "outage.rotating.enabled=true",
    ])
    r = result.records
    counts = r["kind"].value_counts()
    ended = counts.get("mobile_arrived", 0) + counts.get("mobile_aborted", 0)
    assert counts.get("mobile_dispatched", 0) - ended <= 15  # at most the fleet in transit
    # Never two units under way to, or connected at, one site at once.
    trips = r[r["kind"].isin(["mobile_dispatched", "mobile_arrived", "mobile_aborted",
                              "mobile_released"])]
    for _site, group in trips.groupby("site"):
        busy = 0
        for kind in group["kind"]:
            busy += {"mobile_dispatched": 1, "mobile_released": -1,
                     "mobile_aborted": -1}.get(kind, 0)
            assert busy <= 1


def test_services_down_from_the_start_are_logged_at_hour_zero():
    r = simulate(["seed=1"]).records
    start = r[(r["kind"] == "service") & (r["time"] == 0.0)]
    assert set(start["detail"]) == {"heating", "payment"}
    assert (start["value"] == 0).all() and len(start) == 2 * 76


def test_fuel_burnt_matches_the_consumption_table():
    m = model(["seed=4", "stations.backup_power=all"])
    m.run()
    checked = 0
    for site in m.sites.values():
        g = site.fixed
        if g is None or g.run_hours == 0:
            continue
        g._sync()
        rate = m.params.power.litres_per_hour(g.kva, site.load)
        assert g.burnt_l == pytest.approx(rate * g.run_hours, rel=1e-9, abs=1e-6), g.id
        checked += 1
    assert checked > 150


def test_longer_tank_autonomy_means_fewer_dry_hours():
    short = simulate(["seed=2", "stations.backup_power=all"])
    long = simulate(["seed=2", "stations.backup_power=all", "power.fixed.min_autonomy_h=72"])
    assert (indicators.generator_hours_lost(long)["empty_tanks"]
            < indicators.generator_hours_lost(short)["empty_tanks"])
    assert (long.records["kind"] == "fuel_request").sum() < (
        short.records["kind"] == "fuel_request").sum()


def test_the_default_restores_in_stages_not_all_at_once():
    m = model(["seed=6"])
    restored = np.array(sorted(m.grid.restored_at.values()))
    duration = m.grid.duration_h
    assert len(restored) == 76
    # A first island at the duration, then two later waves over up to two days.
    assert (restored == duration).sum() == round(0.3 * 76)
    assert len(np.unique(restored)) >= 3 and restored.max() > duration + 24
    assert restored.max() <= duration + 48


def test_timers_past_the_horizon_are_never_scheduled_and_the_rest_keep_their_order():
    import gc
    import weakref

    import simpy

    from sim.model.power import Clock, Timer

    def play(env: simpy.Environment, delays: list[float]) -> list[tuple[float, int]]:
        fired: list[tuple[float, int]] = []
        for i, d in enumerate(delays):
            Timer(env, d, lambda i=i: fired.append((env.now, i)))
        env.run(until=10.0)
        return fired

    delays = [3.0, 12.0, 3.0, 10.5, 0.0, 7.25, 99.0, 3.0]
    bounded = Clock(horizon=10.0)
    fired = play(bounded, delays)
    assert fired == play(simpy.Environment(), delays)  # the same callbacks, in the same order
    assert [i for _, i in fired] == [4, 0, 2, 7, 5]
    assert not [ev for *_, ev in bounded._queue if isinstance(ev, Timer)]  # none past it
    # An unscheduled timer is freed at once, without the garbage collector (no cycle).
    gc.disable()
    try:
        ref = weakref.ref(Timer(bounded, 50.0, lambda: None))
        assert ref() is None
        kept = Timer(bounded, 0.0, lambda: None)  # a scheduled one is held by the queue
        ref = weakref.ref(kept)
        del kept
        assert ref() is not None
    finally:
        gc.enable()


def test_a_run_leaves_no_timer_queued_past_its_horizon():
    from sim.model.power import Timer

    scenario = prepare(compose_config(["region.select.regions=[Twente]", "horizon_h=72"]))
    m = Model(scenario, build_network(scenario))
    m.run()
    left = [ev for *_, ev in m.env._queue]
    assert all(not isinstance(ev, Timer) for ev in left), "timers past the horizon were queued"
