"""Outage areas smaller than a municipality, and the historical presets at their real size."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import compose_config

from sim.errors import InputError, Problems
from sim.geo.areas import AreaSpec, split_areas
from sim.params.validate import prepare

BASE = ["region.select.regions=[Twente]"]


@pytest.fixture(scope="module")
def twente():
    return prepare(compose_config(BASE)).region


def test_an_area_of_population_centres_is_split_off_its_municipality(twente):
    problems = Problems()
    out = split_areas(twente, [AreaSpec("GM0158-A", "noord",
                                        ("GM0158-K02", "GM0158-K03"))], problems)
    problems.raise_if_any()
    m = out.municipalities.set_index("code")
    before = twente.municipalities.set_index("code")
    # Residents: the area holds its centres' residents; the municipality keeps the rest.
    dp = out.demand_points
    assert m.loc["GM0158-A", "population"] == dp.loc[dp["municipality"] == "GM0158-A",
                                                     "residents"].sum() == 6506 + 2124
    assert (m.loc["GM0158", "population"] + m.loc["GM0158-A", "population"]
            == before.loc["GM0158", "population"])
    assert m["population"].sum() == before["population"].sum()
    assert m.loc["GM0158-A", "part_of"] == m.loc["GM0158", "part_of"] == "GM0158"
    assert m.loc["GM0153", "part_of"] == ""  # untouched (Enschede)
    assert m.loc["GM0158-A", "region"] == "Twente"
    assert m.loc["GM0158-A", "name"].startswith("Haaksbergen")
    # The two parts tile the municipality.
    a, rest = m.loc["GM0158-A", "geometry"], m.loc["GM0158", "geometry"]
    whole = before.loc["GM0158", "geometry"]
    assert a.area + rest.area == pytest.approx(whole.area, rel=1e-9)
    assert shapely.intersection(a, rest).area < 1e-6 * whole.area
    # Points inside the area move with it, and none outside does.
    for layer in (out.demand_points, out.fire_stations, out.support_point_candidates):
        mine = layer[layer["municipality"] == "GM0158-A"]
        assert shapely.covers(a, mine.geometry.to_numpy()).all()
        left = layer[layer["municipality"] == "GM0158"]
        assert not shapely.within(left.geometry.to_numpy(), a).any()
    assert set(dp.loc[dp["municipality"] == "GM0158-A", "id"]) == {"GM0158-K02", "GM0158-K03"}
    # Each part with a fire station has a coordination point.
    fs = out.fire_stations
    for code in ("GM0158", "GM0158-A"):
        here = fs[fs["municipality"] == code]
        if len(here):
            assert here["is_coordination_point"].sum() == 1, code


def test_an_area_can_be_a_polygon(twente):
    centre = twente.demand_points.set_index("id").geometry["GM0153-K02"]
    box = shapely.box(centre.x - 1500, centre.y - 1500, centre.x + 1500, centre.y + 1500)
    problems = Problems()
    out = split_areas(twente, [AreaSpec("GM0153-Z", "zuid", wkt=box.wkt)], problems)
    problems.raise_if_any()
    m = out.municipalities.set_index("code")
    assert m.loc["GM0153-Z", "geometry"].area <= box.area + 1e-6
    assert "GM0153-K02" in set(out.demand_points.loc[
        out.demand_points["municipality"] == "GM0153-Z", "id"])


@pytest.mark.parametrize(("area", "field", "words"), [
    (AreaSpec("X", "x", ("GM9999-K01",)), "outage.areas.0.demand_points", "ids of population"),
    (AreaSpec("X", "x", ("GM0158-K02", "GM0153-K02")), "outage.areas.0.demand_points",
     "one municipality"),
    (AreaSpec("X", "x"), "outage.areas.0", "either demand_points"),
    (AreaSpec("X", "x", ("GM0158-K02",), "POLYGON((0 0,1 0,1 1,0 0))"), "outage.areas.0",
     "not both"),
    (AreaSpec("GM0153", "x", ("GM0158-K02",)), "outage.areas.0.code", "new code"),
    (AreaSpec("X", "x", wkt="POLYGON((0 0,10 0,10 10,0 0))"), "outage.areas.0.wkt",
     "none of the selected"),
    (AreaSpec("X", "x", wkt="LINESTRING(0 0,1 1)"), "outage.areas.0.wkt", "Polygon"),
    (AreaSpec("X", "x", ("GM0158-K01", "GM0158-K02", "GM0158-K03", "GM0158-K04",
                         "GM0158-K05")), "outage.areas.0", "not all of it"),
])
def test_bad_areas_are_named(twente, area, field, words):
    problems = Problems()
    split_areas(twente, [area], problems)
    assert any(p.field == field and words in p.allowed for p in problems.items), problems.items


def test_an_area_is_affected_on_its_own(default_cfg):
    cfg = compose_config([*BASE, "outage.areas=[{code: GM0158-A, name: noord, "
                          "demand_points: [GM0158-K02, GM0158-K03]}]",
                          "outage.affected.municipalities=[GM0158-A]", "outage.waves=[]",
                          "horizon_h=72", "outage.duration.hours=24"])
    scenario = prepare(cfg)
    assert scenario.affected_codes() == ("GM0158-A",)
    from sim.results.run import run

    result = run(scenario).model
    assert not result.grid.powered("GM0158-A", 12.0)
    assert result.grid.powered("GM0158", 12.0)  # the rest of Haaksbergen keeps its power
    assert set(result.cases["municipality"]) == {"GM0158-A"}


def test_an_unknown_area_in_the_affected_list_is_bad_input():
    cfg = compose_config([*BASE, "outage.affected.municipalities=[GM0158-A]"])
    with pytest.raises(InputError, match=r"outage\.affected\.municipalities"):
        prepare(cfg)


@pytest.mark.parametrize(("preset", "residents", "last_h"), [
    # About 80,000 inhabitants; two to three days.
    ("bommelerwaard_2007", (76_000, 84_000), (48, 72)),
    # 24,000 people, more than 50 h for about 15,000 of them.
    ("haaksbergen_2005", (23_000, 25_000), (50, 56)),
    # 31,000 households (about 59,000 people at 1.9 persons); about 31 h.
    ("koepenick_2019_deventer", (55_000, 63_000), (31, 31)),
    # 45,000 households (about 90,000 people at 2.0 persons); about 100 h.
    ("berlin_2026_apeldoorn", (85_000, 95_000), (100, 100)),
])
def test_historical_presets_have_their_reported_size_and_length(preset, residents, last_h):
    scenario = prepare(compose_config([f"scenarios={preset}"]))
    m = scenario.region.municipalities.set_index("code")
    hit = m.loc[list(scenario.affected_codes()), "population"].sum()
    assert residents[0] <= hit <= residents[1]
    schedule_last = scenario.params.outage.duration.upper + max(
        (w.after.upper for w in scenario.params.outage.waves), default=0.0)
    assert last_h[0] <= schedule_last <= last_h[1] + 1e-9


def test_haaksbergen_comes_back_in_two_steps():
    scenario = prepare(compose_config(["scenarios=haaksbergen_2005"]))
    from sim.results.run import run

    grid = run(scenario).model.grid
    early, late = grid.restored_at["GM0158-A"], grid.restored_at["GM0158"]
    assert early == 18.0 and 48.0 <= late <= 54.0
    m = scenario.region.municipalities.set_index("code")
    # About 9,000 back within the day, about 15,000 after two days (NRC, 28 Nov 2005).
    assert 8_000 <= m.loc["GM0158-A", "population"] <= 10_000
    assert 14_000 <= m.loc["GM0158", "population"] <= 16_000
    assert np.isclose(m.loc[["GM0158", "GM0158-A"], "population"].sum(), 24_225)
