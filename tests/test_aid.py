"""Help from outside the affected area: the pools, the LOCC's priority rule, the request path."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import compose_config

from sim.geo.network import Site as Location
from sim.model.aid import GENERATOR, PREFIX, OutsideHelp, Request, Unit
from sim.model.engine import Model
from sim.model.power import Clock
from sim.model.records import Recorder
from sim.params.aid import NATIONAL_REGIONS, AidParams, Source
from sim.params.validate import prepare
from sim.results.aid import aid_events, aid_indicators, generator_waits
from sim.results.indicators import mobile_indicators, staffing_indicators
from sim.results.run import build_network

# --- the pools and the LOCC, on a stand-in model -----------------------------------------


def params(**change) -> AidParams:
    base = dict(enabled=True, ask_after_h=0.0, fuel_wait_h=4, fuel_requests_per_truck=5,
                channel_h=1.0, round_h=2.0,
                priority=("coordination_point", "support_point", "fuel"),
                regions=Source("regions", 2, 1, 6.0, 2.0, crews=2),
                defence=Source("defence", 20, 6, 12.0, 2.0, base="GM9999"),
                defence_available_share=1.0,
                market=Source("market", 30, 4, 8.0, 2.0), market_shrink=1.0,
                red_cross=Source("red_cross", 0, 0, 12.0, 2.0, crews=60), crew_size=4)
    return AidParams(**{**base, **change})


def stand_in(regions: list[str], dark: list[str], aid: AidParams,
             population: int = 1_000_000) -> SimpleNamespace:
    """A model with one municipality per region (``dark`` ones affected)."""
    codes = [f"GM{i:04d}" for i in range(len(regions))]
    m = pd.DataFrame({"code": codes, "region": regions, "population": population})
    hit = tuple(c for c, r in zip(codes, regions, strict=True) if r in dark)
    env = Clock(1000.0)
    model = SimpleNamespace(
        params=SimpleNamespace(aid=aid),
        region=SimpleNamespace(municipalities=m, demand_points=pd.DataFrame(
            {"municipality": [], "residents": [], "id": [], "geometry": []})),
        scenario=SimpleNamespace(affected_codes=lambda: hit),
        bases={r: Location(c, 0.0, 0.0) for c, r in zip(codes, regions, strict=True)},
        travel=SimpleNamespace(between=lambda a, b: 0.5),
        env=env, rec=Recorder(),
        mobile={r: SimpleNamespace(queue=[]) for r in regions},
        fuel=SimpleNamespace(overdue=lambda region: 0))
    return model


def test_a_regional_outage_draws_on_the_regions_outside_it_a_national_one_on_none():
    aid = params()
    oost5 = ["IJsselland", "Twente", "VNOG", "VGGM", "VGZ"]
    regional = OutsideHelp(stand_in(oost5, dark=oost5, aid=aid))
    from_regions = [u for u in regional.units if u.source == "regions"]
    # 2 generators, 1 truck and 2 fire crews each
    assert len(from_regions) == (NATIONAL_REGIONS - 5) * 5
    assert all(u.origin is None for u in from_regions)  # from outside the modelled area

    country = [f"R{i}" for i in range(NATIONAL_REGIONS)]
    national = OutsideHelp(stand_in(country, dark=country, aid=aid, population=800_000))
    assert not [u for u in national.units if u.source == "regions"]
    assert not [u for u in national.units if u.source == "market"]  # the whole country dark
    assert not [u for u in national.units if u.source == "red_cross"]  # each team at home
    assert len([u for u in national.units if u.source == "defence"]) == 26  # shared by all


def test_regions_the_outage_spares_send_from_their_base_on_the_network():
    aid = params()
    regions = ["Twente", "IJsselland"]
    help_ = OutsideHelp(stand_in(regions, dark=["Twente"], aid=aid))
    spared = [u for u in help_.units if u.source == "regions" and u.origin is not None]
    assert len(spared) == 5 and {u.origin.municipality for u in spared} == {"GM0001"}


def test_the_market_shrinks_with_the_dark_share_and_defence_with_commitments():
    # just under a tenth of the country dark: 30 contracted units, 27 left
    small = OutsideHelp(stand_in(["A"], dark=["A"], aid=params(), population=1_804_402))
    assert sum(u.source == "market" and u.resource == GENERATOR for u in small.units) == 27
    assert sum(u.source == "red_cross" for u in small.units) == 54
    busy = OutsideHelp(stand_in(["A"], dark=["A"], aid=params(defence_available_share=0.4)))
    assert sum(u.source == "defence" and u.resource == GENERATOR for u in busy.units) == 8


def _one_unit_locc(**change) -> tuple[OutsideHelp, SimpleNamespace]:
    model = stand_in(["North", "South"], dark=["North", "South"], aid=params(**change))
    locc = OutsideHelp(model)
    locc.units = [Unit("AID-x-1", GENERATOR, "market", 8.0, None, 2.0)]
    return locc, model


def _request(locc: OutsideHelp, model, rid: str, region: str, kind: str, sent: float) -> Request:
    req = Request(rid, region, GENERATOR, kind, "GM0000", f"site-{rid}", sent)
    model.mobile[region].queue.append(("waiting", req.site))
    locc.asked[(region, GENERATOR)] += 1
    locc.table.append(req)
    return req


def test_the_locc_serves_coordination_points_before_local_points_whoever_asked_first():
    locc, model = _one_unit_locc()
    late = _request(locc, model, "A1", "North", "coordination_point", sent=5.0)
    early = _request(locc, model, "A2", "South", "support_point", sent=1.0)
    locc._round()
    assert late.unit is not None and early.unit is None
    assert locc.table == [early]  # stays on the table for the next round


def test_between_equal_needs_the_region_that_received_least_goes_first():
    locc, model = _one_unit_locc()
    locc.received["North"] = 3
    north = _request(locc, model, "A1", "North", "support_point", sent=1.0)
    south = _request(locc, model, "A2", "South", "support_point", sent=2.0)
    locc._round()
    assert south.unit is not None and north.unit is None


def test_a_kind_left_out_of_the_priority_is_never_asked_for():
    locc, model = _one_unit_locc(priority=("coordination_point",))
    locc.generators_short(SimpleNamespace(region="North"),
                          [(0.0, "support_point", "GM0000", "SP-1")])
    assert locc.asked[("North", GENERATOR)] == 0 and len(model.rec.frame()) == 0


def test_requests_the_region_no_longer_needs_are_withdrawn_at_the_round():
    locc, model = _one_unit_locc()
    kept = _request(locc, model, "A1", "North", "coordination_point", sent=1.0)
    gone = _request(locc, model, "A2", "North", "coordination_point", sent=2.0)
    model.mobile["North"].queue.pop()  # one site got its power back meanwhile
    locc._round()
    assert kept.unit is not None and gone.unit is None and locc.table == []
    assert list(model.rec.frame()["kind"]) == ["aid_withdrawn", "aid_granted"]
    assert locc.asked[("North", GENERATOR)] == 1  # granted, on its way


# --- the request path in the model ---------------------------------------------------------

#: Twente alone for three days: the other 24 regions can help.
TWENTE = ["region.select.regions=[Twente]", "horizon_h=72", "outage.duration.hours=60",
          "seed=3"]
NO_SOURCES = ["aid.sources.regions.generators_per_region=0",
              "aid.sources.regions.trucks_per_region=0", "aid.sources.defence.generators=0",
              "aid.sources.defence.trucks=0", "aid.sources.market.generators=0",
              "aid.sources.market.trucks=0", "aid.sources.regions.crews_per_region=0",
              "aid.sources.red_cross.teams=0", "aid.sources.grid_operator.generators=0"]


def simulate(overrides: list[str]):
    scenario = prepare(compose_config(overrides))
    return Model(scenario, build_network(scenario)).run()


@pytest.fixture(scope="module")
def twente_with_help():
    return simulate(TWENTE)


def test_outside_generators_arrive_after_the_request_path_mobilisation_and_travel(
        twente_with_help):
    events = aid_events(twente_with_help)
    cfg = compose_config(TWENTE)["aid"]
    # the LOCC's units (the grid operator's own: tests/test_grid_operator.py)
    arrived = events[(events["kind"] == "aid_arrived") & (events["source"] != "grid_operator")]
    assert len(arrived) > 0
    requested = events[events["kind"] == "aid_requested"].set_index("request")["time"]
    mobilise = {name: s["mobilise_h"] for name, s in cfg["sources"].items()}
    travel = {name: s["travel_h"] for name, s in cfg["sources"].items()}
    for row in arrived.itertuples():
        least = cfg["channel_h"] + mobilise[row.source]
        if row.source != "defence":  # Oldebroek lies outside Twente: travel_h
            least += travel[row.source]
        assert row.time >= requested[row.request] + least - 1e-6
        assert row.value == pytest.approx(row.time - requested[row.request])
    # a region asks for a site only once it has waited ask_after_h with no unit of its own
    asked_at = twente_with_help.of_kind("mobile_requested").groupby("site")["time"].min()
    generators = events[(events["kind"] == "aid_requested") & (events["resource"] == "generator")]
    assert len(generators) > 0
    assert (generators["time"].to_numpy()
            >= asked_at[generators["site"]].to_numpy() + cfg["ask_after_h"] - 1e-6).all()
    # every unit that arrived was granted first, and each request arrives at most once
    granted = events[events["kind"] == "aid_granted"]
    assert set(arrived["request"]) <= set(granted["request"])
    assert arrived["request"].is_unique
    # outside generators connect at sites like the region's own
    connected = twente_with_help.of_kind("mobile_arrived")
    assert connected["detail"].str.startswith(PREFIX).any()


def test_switching_outside_help_off_gives_the_run_without_it(twente_with_help):
    off = simulate([*TWENTE, "aid.enabled=false"])
    empty = simulate([*TWENTE, *NO_SOURCES])
    assert not off.records["kind"].str.startswith("aid_").any()
    without_aid = empty.records[~empty.records["kind"].str.startswith("aid_")]
    pd.testing.assert_frame_equal(off.records, without_aid.reset_index(drop=True))
    # and help makes a difference: more sites connected, sooner
    with_help = mobile_indicators(twente_with_help)
    alone = mobile_indicators(off)
    assert with_help["connected"] > alone["connected"]
    assert aid_indicators(off)["mobile_generator_hours"]["outside"] == 0


def test_more_contracted_generators_shorten_the_wait_for_one():
    only_market = [*TWENTE, *NO_SOURCES]
    few = simulate([*only_market, "aid.sources.market.generators=5"])
    many = simulate([*only_market, "aid.sources.market.generators=60"])
    assert mobile_indicators(many)["connected"] > mobile_indicators(few)["connected"]
    assert generator_waits(many).mean() < generator_waits(few).mean() - 1.0


def test_crews_from_outside_join_posts_that_stayed_short_and_cut_the_hours_short():
    # few staff, and a third of them leaving each day: posts stay short, the region
    # asks for crews and teams
    scarce = [*TWENTE, "staffing.volunteer_availability_day=0.15",
              "staffing.volunteer_availability_night=0.25", "staffing.leave_per_day=0.35"]
    helped = simulate(scarce)
    alone = simulate([*scarce, "aid.enabled=false"])
    events = aid_events(helped)
    crews = events[events["resource"].isin(["fire_crew", "relief_team"])]
    arrived = crews[crews["kind"] == "aid_arrived"]
    assert len(arrived) > 0
    cfg = compose_config(scarce)["aid"]
    coming = compose_config(scarce)["staffing"]["self_mobilisation_h"]
    # each crew was asked for by a post short of its minimum for ask_after_h
    duty = helped.of_kind("staff_on_duty")
    for row in crews[crews["kind"] == "aid_requested"].itertuples():
        before = duty[(duty["site"] == row.site) & (duty["time"] <= row.time)]
        staffed = before["detail"].str.split(":").str[3].astype(int)
        assert staffed.iloc[-1] == 0  # still short when the region asked
        last_ok = before.loc[staffed == 1, "time"].max() if (staffed == 1).any() else 0.0
        assert row.time - last_ok >= cfg["ask_after_h"] - 1e-6
        # and not while its own people may still be coming (self-mobilisation)
        assert row.time >= coming + cfg["ask_after_h"] - 1e-6
    hours = aid_indicators(helped)["staff_hours"]
    assert hours["outside"] > 0 and 0 < hours["outside_share"] < 1
    assert staffing_indicators(helped)["staff_hours_short"] \
        < staffing_indicators(alone)["staff_hours_short"]


def test_the_figure_shows_what_was_asked_for_and_what_came(twente_with_help):
    from sim.research.aid_figure import outside_help_figure

    events = twente_with_help.records
    fig = outside_help_figure(events, "Twente", twente_with_help.horizon_h)
    assert fig is not None
    left, right = fig.axes[:2]
    lines = {line.get_label(): line for line in left.get_lines()}
    arrived = events[(events["kind"] == "aid_arrived")
                     & events["detail"].str.contains(":generator:")]
    wanted = events[events["detail"].str.contains(":generator:")]["kind"].map(
        {"aid_requested": 1, "aid_withdrawn": -1}).fillna(0)
    assert lines["mobile generators: arrived"].get_ydata()[-1] == len(arrived)
    assert lines["mobile generators: asked for, still wanted"].get_ydata().max() \
        == wanted.cumsum().max()
    bars = sum(patch.get_width() for patch in right.patches)
    assert bars == (events["kind"] == "aid_arrived").sum()  # every unit, by region and source
    no_aid = events[~events["kind"].str.startswith("aid_")]
    assert outside_help_figure(no_aid, "Twente", 72.0) is None
