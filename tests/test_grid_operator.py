"""The grid operator's own generators on transformer houses (``sim.model.grid_operator``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compose_config

from sim.errors import InputError
from sim.model.engine import Model, ModelResult
from sim.model.grid_operator import SOURCE, TRANSFORMER, plan_placements, units_needed
from sim.params.aid import GridOperatorParams
from sim.params.validate import prepare
from sim.research.coverage import Coverage
from sim.results import indicators
from sim.results.aid import aid_events, aid_indicators, repowered_series
from sim.results.indicators import (
    reach_share,
    residents_indicators,
    residents_without_power,
    still_out,
)
from sim.results.records import hours, slice_index
from sim.results.regions import region_indicators
from sim.results.run import build_network
from sim.results.series import region_series

P = GridOperatorParams(generators=40, households_per_generator=100, mobilise_h=10,
                       placed_per_h=4, travel_h=2, shrink=0.7)


def plan(restored: dict[str, float], region_of: dict[str, str], people: dict[str, float],
         available: int, p: GridOperatorParams = P, horizon: float = 96.0):
    codes = sorted(region_of)
    return plan_placements(codes, region_of, people, restored, p, available, 2.0, horizon)


# --- the plan (pure) -------------------------------------------------------------------------


def test_units_arrive_after_mobilisation_and_travel_at_the_crews_pace():
    out = plan({"A": 60.0}, {"A": "R1"}, {"A": 10_000}, available=30)
    arrived = [pl.arrived for pl in out.placements]
    assert arrived[0] == pytest.approx(P.mobilise_h + P.travel_h)
    assert np.allclose(np.diff(arrived), 1 / P.placed_per_h)
    # 10,000 residents at 200 a unit: 50 needed, 30 available, all placed, each until 60 h
    assert len(out.placements) == 30 and {pl.released for pl in out.placements} == {60.0}


def test_the_powered_share_is_zero_before_the_first_unit_and_never_above_one():
    out = plan({"A": 60.0, "B": 80.0}, {"A": "R1", "B": "R1"}, {"A": 900, "B": 3_000},
               available=40)
    first = min(pl.arrived for pl in out.placements)
    assert not out.share_at(first - 1e-6).any()
    assert out.shares.max() == pytest.approx(1.0) and (out.shares <= 1.0).all()
    # B's grid comes back last: it is served first, and takes only the units it needs
    assert out.placements[0].municipality == "B"
    assert sum(pl.municipality == "B" for pl in out.placements) == units_needed(3_000, 200)
    # after its grid is back (80 h), B's share is 0 again
    assert out.share_at(85.0)[1] == 0.0


def test_units_move_on_when_the_grid_returns_and_regions_take_turns():
    # A (R1) needs 2 units and is back at 30 h; C (R2) stays dark to 70 h
    out = plan({"A": 30.0, "C": 70.0}, {"A": "R1", "C": "R2"}, {"A": 400, "C": 50_000},
               available=6)
    assert [pl.region for pl in out.placements[:6]] == ["R1", "R2", "R1", "R2", "R2", "R2"]
    moved = out.placements[6:]
    assert len(moved) == 2  # A's two units, once its grid is back
    assert all(pl.municipality == "C" and pl.arrived == pytest.approx(30.0 + P.travel_h)
               for pl in moved)
    assert out.share_at(31.0)[0] == 0.0  # A's share ends with its grid's return


def test_a_national_outage_gets_fewer_units_per_resident_than_a_regional_one():
    regions = [f"R{i:02d}" for i in range(25)]
    region_of = {f"M{i:02d}": r for i, r in enumerate(regions)}
    people = dict.fromkeys(region_of, 720_000.0)  # about the country's population
    regional = plan({"M00": 70.0}, region_of, people, available=P.available(0.04))
    national = plan(dict.fromkeys(region_of, 70.0), region_of, people,
                    available=P.available(1.0))
    assert P.available(1.0) < P.available(0.04)
    per_regional = len(regional.placements) / 720_000
    per_national = len(national.placements) / (25 * 720_000)
    assert per_national < per_regional / 10  # fewer units, spread over every region
    counts = pd.Series([pl.region for pl in national.placements]).value_counts()
    assert counts.max() - counts.min() <= 1  # spread thin, in turn


def test_bad_grid_operator_values_are_named():
    with pytest.raises(InputError) as err:
        prepare(compose_config(["aid.sources.grid_operator.households_per_generator=0",
                                "aid.sources.grid_operator.shrink=1.5",
                                "aid.sources.grid_operator.generators=-1",
                                "aid.sources.grid_operator.placed_per_h=0"]))
    keys = {f"aid.sources.grid_operator.{k}" for k in
            ("households_per_generator", "shrink", "generators", "placed_per_h")}
    assert keys <= set(err.value.fields())


# --- in the model ----------------------------------------------------------------------------

#: Twente alone for three days, help from outside on.
TWENTE = ["region.select.regions=[Twente]", "horizon_h=72", "outage.duration.hours=60",
          "seed=3"]
G = "aid.sources.grid_operator"


def simulate(overrides: list[str]) -> ModelResult:
    scenario = prepare(compose_config(overrides))
    return Model(scenario, build_network(scenario)).run()


@pytest.fixture(scope="module")
def twente() -> ModelResult:
    return simulate(TWENTE)


@pytest.fixture(scope="module")
def none() -> ModelResult:
    """The same run without the grid operator's units."""
    return simulate([*TWENTE, f"{G}.generators=0"])


@pytest.fixture(scope="module")
def few() -> ModelResult:
    return simulate([*TWENTE, f"{G}.generators=20"])


#: Units enough, each for 1,000 households, to re-power every home in Twente within hours.
EVERYONE = [*TWENTE, f"{G}.generators=1000", f"{G}.households_per_generator=1000",
            f"{G}.placed_per_h=200"]


@pytest.fixture(scope="module")
def everyone() -> ModelResult:
    return simulate(EVERYONE)


def test_a_regional_outage_gets_transformer_generators_after_mobilisation_and_travel(twente):
    cfg = compose_config(TWENTE)["aid"]["sources"]["grid_operator"]
    events = aid_events(twente)
    mine = events[events["source"] == SOURCE]
    arrived = mine[mine["kind"] == "aid_arrived"]
    assert len(arrived) > 0 and set(arrived["resource"]) == {TRANSFORMER}
    assert arrived["time"].min() == pytest.approx(cfg["mobilise_h"] + cfg["travel_h"])
    assert not (mine["kind"] == "aid_requested").any()  # not through the LOCC
    ind = aid_indicators(twente)
    go = ind["grid_operator"]
    assert go["placed"] == len(arrived) == ind["by_resource"][TRANSFORMER]["arrived"]
    assert ind["arrived_by_source"][SOURCE] == len(arrived)
    per = cfg["households_per_generator"] * compose_config(TWENTE)["population"]["household_size"]
    assert 0 < go["peak_residents_repowered"] <= len(arrived) * per + 1
    assert go["by_region"]["Twente"]["generator_hours"] == go["generator_hours"] > 0


def test_the_share_in_the_model_and_the_residents_it_takes_out_of_need():
    scenario = prepare(compose_config(TWENTE))
    model = Model(scenario, build_network(scenario))
    share = model.transformers
    first = min(pl.arrived for pl in share.placements)
    assert not share.share_at(first - 0.01).any()
    assert (share.shares <= 1.0 + 1e-12).all() and share.shares.max() > 0
    # a re-powered municipality has fewer residents seeking help than with none re-powered
    t = first + 10
    i = int(np.argmax(share.share_at(t)))
    with_units = model.residents.rates(t)[i].sum()
    model.transformers = type(share)(share.codes, (), 0.0, np.array([-np.inf]),
                                     np.zeros((1, len(share.codes))))
    assert model.residents.rates(t)[i].sum() > with_units


def test_more_grid_operator_generators_mean_fewer_visits_for_the_same_seed(twente, few, none):
    visits = [residents_indicators(r, 72.0)["visits"]["arisen"] for r in (none, few, twente)]
    assert visits[0] > visits[1] > visits[2]


def test_switching_the_grid_operator_off_gives_the_run_without_it():
    off = simulate([*TWENTE, f"{G}.generators=0"])
    late = simulate([*TWENTE, f"{G}.mobilise_h=100"])  # no unit before the horizon
    assert not (off.records["kind"] == "repowered").any()
    assert not off.records["detail"].str.contains(f":{SOURCE}:").any()
    pd.testing.assert_frame_equal(off.records, late.records)
    assert aid_indicators(off)["grid_operator"]["placed"] == 0


# --- re-powered residents have power: reach and coverage count the others -------------------


def test_more_grid_operator_generators_mean_fewer_residents_counted_without_power(
        twente, few, none):
    at = np.array([48.0])
    counts = [residents_indicators(r, 72.0)["residents_without_power"]["at_h"]["48"]
              for r in (none, few, twente)]
    assert counts[0] > counts[1] > counts[2]
    # without units: every resident of a municipality whose grid is off
    row = int(slice_index(none, at)[0])
    dark = float((still_out(none)[row] * none.flows.residents).sum())
    assert counts[0] == pytest.approx(dark, abs=0.5)
    # with them: less the residents on them, as the grid operator's events count them
    series = repowered_series(twente)
    on_units = series[series["time"] <= 48.0].groupby("municipality")["residents"].last().sum()
    assert on_units > 0
    assert counts[2] == pytest.approx(dark - on_units, abs=1.0)
    assert residents_without_power(twente, at).iloc[0] == pytest.approx(counts[2], abs=0.5)
    # the reach share is taken over the residents without power only
    f = twente.flows
    weight = still_out(twente)[row] * (1 - f.repowered[row])
    expected = (f.in_reach_operational[row] * weight).sum() / (f.residents * weight).sum()
    assert reach_share(twente, at, operational=True).iloc[0] == pytest.approx(expected)
    by_region = region_indicators(twente, dict.fromkeys(f.municipalities, "Twente"), 48.0)
    assert by_region["Twente"]["residents_without_power"] == round(counts[2])


def test_when_every_home_is_repowered_nobody_is_counted_without_power(everyone, none):
    f = everyone.flows
    full = (f.repowered == 1.0).all(axis=1) & still_out(everyone).all(axis=1)
    assert full[24:48].all() and not full[:20].any()
    ind = residents_indicators(everyone, 72.0)
    assert ind["residents_without_power"]["at_h"]["48"] == 0
    # the reach of residents without power is undefined while nobody is without power
    for name in ("within_reach_share", "within_reach_operational_share"):
        assert ind[name]["at_h"]["48"] is None
        assert residents_indicators(none, 72.0)[name]["at_h"]["48"] is not None
    share = reach_share(everyone, hours(everyone.horizon_h))
    assert share[(share.index >= 24) & (share.index <= 48)].isna().all()
    region = region_indicators(everyone, dict.fromkeys(f.municipalities, "Twente"), 48.0)
    assert region["Twente"]["within_reach_operational_share"] is None
    assert region["Twente"]["residents_without_power"] == 0
    population = dict(zip(f.municipalities, f.residents, strict=True))
    series = region_series(everyone, np.array([12.0, 48.0]), population)
    # still in a dark municipality, but on a generator: not without power
    assert series["residents_without_grid_share"].tolist() == pytest.approx([1.0, 1.0])
    assert series["residents_without_power_share"].tolist() == pytest.approx([1.0, 0.0])


def test_without_the_grid_operator_reach_counts_every_resident_of_a_dark_municipality(none):
    f = none.flows
    assert not f.repowered.any()
    at = hours(none.horizon_h)
    out = still_out(none)
    residents = (out * f.residents).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        before = np.where(residents > 0, (f.in_reach * out).sum(axis=1) / residents, np.nan)
    np.testing.assert_array_equal(reach_share(none, at).to_numpy(),
                                  before[slice_index(none, at)])


def test_coverage_leaves_out_the_residents_counted_as_powered():
    walk = np.array([[False, True], [False, False]])
    base = Coverage(hours=np.array([0.0, 1.0]), demand_points=["a", "b"],
                    municipality=np.array(["M", "M"]), residents=np.array([100.0, 300.0]),
                    walk=walk, cycle=walk, cycling_share=0.25)
    half = Coverage(**{**base.__dict__, "counted": np.array([[0.5, 1.0], [1.0, 0.0]])})
    np.testing.assert_allclose(base.uncovered, [[100, 0], [100, 300]])
    np.testing.assert_allclose(half.uncovered, [[50, 0], [100, 0]])
    by = half.by(half.municipality)
    np.testing.assert_allclose(by["residents"], [350, 100])
    np.testing.assert_allclose(by["covered_share"], [300 / 350, 0.0])
    np.testing.assert_allclose(half.at(1.0).uncovered, [[100, 0]])


def test_the_coverage_curve_counts_the_residents_the_summary_counts(twente_folder):
    import json

    from sim.research.curves import run_curves
    from sim.research.layers import load_run_layers

    run = load_run_layers(twente_folder)
    events = run.events
    assert (events["kind"] == "repowered").any()
    curve = run_curves(run).covered
    summary = json.loads((twente_folder / "summary.json").read_text())["indicators"]
    reach = summary["residents"]["within_reach_operational_share"]["every_6h"]
    for hour in range(24, 90, 6):
        want = reach[str(hour)]
        got = curve.loc[float(hour), "operational"]
        assert (want is None and np.isnan(got)) or got == pytest.approx(want, abs=1e-4)
    without = summary["residents"]["residents_without_power"]["every_6h"]
    residents = run.affected_demand_points["residents"].sum()
    assert curve.loc[48.0, "without power"] == pytest.approx(without["48"] / residents,
                                                             rel=1e-6)


# --- vulnerable residents whose street is re-powered have power for their device ------------


def test_more_grid_operator_generators_mean_fewer_vulnerable_cases_in_danger_and_harmed(
        none, twente, everyone):
    danger = [r.cases["in_danger"].sum() for r in (none, twente, everyone)]
    harmed = [(r.cases["outcome"] == "harmed").sum() for r in (none, twente, everyone)]
    assert danger[0] > danger[1] > danger[2]
    assert harmed[0] >= harmed[1] >= harmed[2] and harmed[0] > harmed[2]
    # the same seed, the same cases: re-powering only takes danger away
    c, base = everyone.cases, none.cases
    assert (c["case"] == base["case"]).all()
    assert not (c["in_danger"] & ~base["in_danger"]).any()
    assert set(c.index[c["outcome"] == "harmed"]) <= set(base.index[base["outcome"] == "harmed"])
    # the harmed came to harm before a unit reached their street
    hit = c[c["outcome"] == "harmed"]
    assert (hit["harm_at"] < hit["repowered_at"]).all()
    mine = c[c["outcome"] == "repowered"]
    assert len(mine) > 1_000 and not mine["in_danger"].any()
    assert (mine["repowered_at"] <= mine["harm_at"]).all()
    assert (mine["danger_end"] == mine["repowered_at"]).all()
    vulnerable = indicators.vulnerable_indicators(everyone)["all"]
    assert vulnerable["by_outcome"]["repowered"] == len(mine)


def test_a_case_is_repowered_as_its_municipality_share_says(twente):
    f, c = twente.flows, twente.cases
    row = int(slice_index(twente, np.array([60.0]))[0])
    i = int(np.argmax(f.repowered[row]))
    share = f.repowered[row, i]
    assert 0.2 < share < 1.0
    mine = c[(c["municipality"] == f.municipalities[i]) & np.isfinite(c["clock_start"])]
    on = (mine["repowered_at"] <= 60.0).mean()
    sd = np.sqrt(share * (1 - share) / len(mine))
    assert abs(on - share) < 4 * sd
    # and nobody is re-powered before the grid operator's first unit arrives
    first = aid_indicators(twente)["grid_operator"]["first_arrival_h"]
    assert c["repowered_at"].min() == pytest.approx(first)


def test_without_the_grid_operator_no_case_is_repowered_and_the_cases_are_as_before(none):
    late = simulate([*TWENTE, f"{G}.mobilise_h=100"])  # no unit before the horizon
    assert np.isinf(none.cases["repowered_at"]).all()
    assert "repowered" not in set(none.cases["outcome"])
    pd.testing.assert_frame_equal(none.cases, late.cases)
