"""Coverage of residents by working points: spatial index against brute force, and a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import compose_config
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engine import Model
from sim.params.validate import prepare
from sim.research.coverage import (
    OPEN,
    coverage,
    functional_coordination_points,
    pairs_within,
    states_at,
    working_points,
)
from sim.results.records import hours
from sim.results.run import build_network


def brute_force(demand_xy, site_xy, working, km, detour):
    """The same coverage with two nested loops."""
    out = np.zeros((working.shape[0], len(demand_xy)), dtype=bool)
    for h in range(working.shape[0]):
        for i, (x, y) in enumerate(demand_xy):
            for j, (u, v) in enumerate(site_xy):
                if working[h, j] and np.hypot(x - u, y - v) * detour <= km * 1000:
                    out[h, i] = True
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_d=st.integers(1, 30), n_s=st.integers(1, 12))
def test_coverage_agrees_with_brute_force(seed, n_d, n_s):
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 8000, (n_d, 2))
    site_xy = rng.uniform(0, 8000, (n_s, 2))
    working = rng.random((5, n_s)) < 0.5
    residents = rng.integers(10, 1000, n_d).astype(float)
    c = coverage(shapely.points(demand_xy), [f"D{i}" for i in range(n_d)],
                 np.array(["A"] * n_d), residents, shapely.points(site_xy), working,
                 np.arange(5.0), walk_km=1.0, cycle_km=3.0, cycling_share=0.4, detour=1.3)
    np.testing.assert_array_equal(c.walk, brute_force(demand_xy, site_xy, working, 1.0, 1.3))
    np.testing.assert_array_equal(c.cycle, brute_force(demand_xy, site_xy, working, 3.0, 1.3))
    expected = residents * (0.6 * c.walk + 0.4 * c.cycle)
    np.testing.assert_allclose(c.covered, expected)


def test_an_open_point_covers_exactly_the_demand_points_within_the_distance():
    # Demand points at 0.5, 0.99, 1.01 and 2.5 km east of the one site.
    demand = shapely.points([[500, 0], [990, 0], [1010, 0], [2500, 0]])
    site = shapely.points([[0, 0]])
    pairs = pairs_within(demand, site, km=1.0).toarray()[:, 0]
    assert list(pairs) == [1, 1, 0, 0]
    c = coverage(demand, ["a", "b", "c", "d"], np.array(["M"] * 4), np.full(4, 100.0), site,
                 np.array([[False], [True]]), np.array([0.0, 1.0]), 1.0, 3.0, 0.5)
    assert not c.walk[0].any() and not c.cycle[0].any()  # closed: nobody covered
    assert list(c.walk[1]) == [True, True, False, False]
    assert list(c.cycle[1]) == [True, True, True, True]
    assert list(c.covered[1]) == [100, 100, 50, 50]
    by = c.by()
    assert list(by["covered_share"]) == [0.0, 0.75]


@pytest.mark.parametrize("n_sites", [127, 128, 256, 300])
def test_a_centre_with_hundreds_of_sites_in_reach_is_covered(n_sites):
    # A city centre: hundreds of working sites within a kilometre (an 8-bit count wraps).
    rng = np.random.default_rng(n_sites)
    site_xy = rng.uniform(-500, 500, (n_sites, 2))
    c = coverage(shapely.points([[0.0, 0.0]]), ["centre"], np.array(["GM0363"]),
                 np.array([729_555.0]), shapely.points(site_xy),
                 np.ones((1, n_sites), dtype=bool), np.array([0.0]), 1.0, 3.0, 0.5)
    assert c.walk[0, 0] and c.cycle[0, 0]
    assert c.covered[0, 0] == 729_555.0


def test_states_are_the_last_record_at_or_before_each_hour():
    events = pd.DataFrame({
        "time": [0.5, 2.0, 3.5, 1.0], "kind": ["point_state"] * 3 + ["cp_functional"],
        "site": ["P1", "P1", "P1", "C1"], "value": [0.5, 1.0, 0.0, 1.0],
        "detail": ["open_reduced", "open_full", "closed", ""], "municipality": ["M"] * 4})
    at = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    assert list(states_at(events, "point_state", ["P1", "P2"], at)[:, 0]) == [
        "", "open_reduced", "open_full", "open_full", "closed"]
    assert list(working_points(events, ["P1"], at)[:, 0]) == [False, True, True, True, False]
    assert list(working_points(events, ["P1"], at, {"open_full"})[:, 0]) == [
        False, False, True, True, False]
    assert list(functional_coordination_points(events, ["C1"], at)[:, 0]) == [
        False, True, True, True, True]


@pytest.fixture(scope="module")
def twente_run():
    scenario = prepare(compose_config(["region.select.regions=[Twente]", "seed=3"]))
    model = Model(scenario, build_network(scenario))
    return scenario, model.run()


def test_coverage_of_a_run_matches_the_models_reach(twente_run):
    scenario, result = twente_run
    region = scenario.region
    dp = region.demand_points
    sp = region.support_point_candidates.set_index("id").loc[result.planned_points]
    p = scenario.params
    f = result.flows
    at = f.times[24:96] + 1e-9  # just after each slice start, as the model saw them
    working = working_points(result.records, list(sp.index), at, OPEN)
    c = coverage(dp.geometry.values, list(dp["id"]), dp["municipality"].to_numpy(),
                 dp["residents"].to_numpy(float), sp.geometry.values, working, at,
                 p.population.access.walk_km, p.population.access.cycle_km,
                 p.population.access.cycling_share, p.network.detour_factor)
    per_muni = c.by(c.municipality)
    model_reach = pd.DataFrame(f.in_reach[24:96], columns=f.municipalities)
    got = per_muni.pivot_table(index="hour", columns="group", values="covered",
                               aggfunc="sum")
    # The same residents in reach as the model counted at each slice, by municipality.
    np.testing.assert_allclose(got.to_numpy(), model_reach[got.columns].to_numpy(),
                               atol=1e-6)
    total = per_muni.groupby("hour")[["covered", "residents"]].sum()
    assert ((total["covered"] / total["residents"]).between(0, 1)).all()
    cp = functional_coordination_points(result.records, result.coordination_points,
                                        hours(168))
    assert cp.shape == (169, len(result.coordination_points)) and cp.any()


def test_gis_layers_read_back_with_the_documented_fields(twente_folder, tmp_path):
    from sim.research.layers import load_run_layers, write_gis

    run = load_run_layers(twente_folder)
    write_gis(run, tmp_path / "coverage.gpkg")
    import pyogrio

    names = sorted(str(r[0]) for r in pyogrio.list_layers(tmp_path / "coverage.gpkg"))
    assert names == ["demand_points", "municipalities", "support_points"]
    import geopandas as gpd

    dp = gpd.read_file(tmp_path / "coverage.gpkg", layer="demand_points")
    assert dp.crs.to_epsg() == 28992 and len(dp) == len(run.demand_points)
    assert list(dp.columns) == ["id", "name", "municipality", "residents", "affected",
                                "hours_uncovered",
                                "hours_uncovered_operational", "first_hour_covered",
                                "first_hour_covered_operational", "hours_without_cp",
                                "geometry"]
    assert dp["hours_uncovered"].between(0, 97).all()
    assert (dp["hours_uncovered_operational"] >= dp["hours_uncovered"] - 1e-9).all()
    sp = gpd.read_file(tmp_path / "coverage.gpkg", layer="support_points")
    assert set(sp["id"]) == set(run.activated)
    assert (sp["first_open_h"].dropna() >= sp["activated_h"][sp["first_open_h"].notna()]).all()
    assert (sp["hours_operational"] <= sp["hours_open"] + 1e-9).all()
    m = gpd.read_file(tmp_path / "coverage.gpkg", layer="municipalities")
    assert {"covered_share_24", "covered_share_72", "vulnerable_reached_share"} <= set(m.columns)
    twente = m[m["region"] == "Twente"]
    assert twente["covered_share_72"].between(0, 1).all()
    assert twente["vulnerable_cases"].sum() == len(run.cases)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "x"]),
                               st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.0, 3.5]),
                               st.integers(0, 9)), max_size=25),
       ids=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=6),
       at=st.lists(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 4.0]), min_size=1,
                   max_size=5))
def test_latest_is_the_last_record_at_or_before_each_time(data, ids, at):
    from sim.results.records import latest

    data = sorted(data, key=lambda r: r[1])  # the log is in time order (stable)
    sub = pd.DataFrame(data, columns=["site", "time", "value"]).astype({"value": float})
    table = latest(sub, "value", ids, np.array(at), -1.0, "site")
    for i, t in enumerate(at):
        for j, ident in enumerate(ids):
            before = [v for s, when, v in data if s == ident and when <= t]
            expected = float(before[-1]) if before else -1.0
            assert table.iloc[i, j] == expected
