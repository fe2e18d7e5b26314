"""The municipality network and travel times."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.geo.load import GeodataSpec, load_region
from sim.geo.network import NetworkParams, Site, TravelTimes, municipality_graph
from sim.geo.read import LayerSource
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE

PARAMS = NetworkParams(detour_factor=1.3, road_speed_kmh=60, local_speed_kmh=40,
                       border_tolerance_m=50, min_shared_border_m=100)
KNOWN_NEIGHBOURS = [("GM0200", "GM0232"), ("GM0268", "GM1945"), ("GM0153", "GM0164"),
                    ("GM0193", "GM0148"), ("GM0202", "GM0274")]


def _region(sources=None, **kwargs):
    kwargs.setdefault("select_regions", ("VNOG", "VGGM", "VGZ", "IJsselland", "Twente"))
    return load_region(GeodataSpec(geopackage=EMBEDDED_GEOPACKAGE, sources=sources or {},
                                   municipality_table=EMBEDDED_SOURCE_TABLE, **kwargs))


@pytest.fixture(scope="module")
def region():
    return _region()


@pytest.fixture(scope="module")
def travel(region):
    t = TravelTimes(municipality_graph(region.municipalities, PARAMS), PARAMS)
    for layer in (region.demand_points, region.fire_stations, region.support_point_candidates):
        t.add_sites(layer)
    return t


def test_oost5_graph_is_connected_by_shared_borders(travel, region):
    g = travel.graph
    assert g.number_of_nodes() == 76
    assert nx.is_connected(g)
    assert all(d["shared_border"] for *_, d in g.edges(data=True))
    assert g.nodes["GM0200"]["name"] == "Apeldoorn"
    assert g.nodes["GM0200"]["population"] == 168_551  # CBS, 1 Jan 2025


@pytest.mark.parametrize(("a", "b"), KNOWN_NEIGHBOURS)
def test_known_neighbours_are_joined(travel, a, b):
    assert travel.graph.has_edge(a, b)


def test_far_apart_municipalities_are_not_joined(travel):
    assert not travel.graph.has_edge("GM0153", "GM0268")  # Enschede - Nijmegen
    assert not travel.graph.has_edge("GM0297", "GM1708")  # Zaltbommel - Steenwijkerland


def test_real_boundaries_give_the_same_known_neighbours(real_municipalities):
    src = {"municipalities": LayerSource(path=real_municipalities, crs="EPSG:28992",
                                         columns={"statcode": "code", "statnaam": "name"})}
    g = municipality_graph(_region(src).municipalities, PARAMS)
    assert nx.is_connected(g) and g.number_of_nodes() == 76
    assert all(d["shared_border"] for *_, d in g.edges(data=True))
    for a, b in KNOWN_NEIGHBOURS:
        assert g.has_edge(a, b), (a, b)


def test_small_gaps_and_slivers_do_not_break_adjacency(region):
    m = region.municipalities.copy()
    m["geometry"] = m.geometry.buffer(-20)  # 40 m gaps between all neighbours
    g_gap = municipality_graph(m, PARAMS)
    g = municipality_graph(region.municipalities, PARAMS)
    # Real borders: a border only a little longer than min_shared_border_m may drop
    # below it once both sides are shrunk; no more than that, and never a new edge.
    lost = {frozenset(e) for e in g.edges} - {frozenset(e) for e in g_gap.edges}
    assert {frozenset(e) for e in g_gap.edges} <= {frozenset(e) for e in g.edges}
    assert len(lost) <= 2 and nx.is_connected(g_gap)
    strict = NetworkParams(**{**PARAMS.__dict__, "border_tolerance_m": 0.0})
    # Without the tolerance no border is found; the parts are only bridged (75 bridges).
    g_strict = municipality_graph(m, strict)
    assert not any(d["shared_border"] for *_, d in g_strict.edges(data=True))
    assert g_strict.number_of_edges() == 75 and nx.is_connected(g_strict)


def test_edge_times_follow_distance_detour_and_speed(travel):
    d = travel.graph.edges["GM0200", "GM0232"]
    assert d["travel_time_h"] == pytest.approx(d["distance_m"] * 1.3 / 60_000)


def test_municipality_times_are_symmetric_and_metric(travel):
    m = travel.matrix()
    assert (m == m.T).all() and (m.diagonal() == 0).all() and (m[m != 0] > 0).all()
    n = len(m)
    for i, j, k in itertools.product(range(0, n, 5), range(1, n, 5), range(2, n, 5)):
        assert m[i, k] <= m[i, j] + m[j, k] + 1e-9


def test_shortest_path_time_equals_sum_of_edges(travel):
    path = travel.path("GM0153", "GM0297")  # Enschede -> Zaltbommel
    hours = sum(travel.graph.edges[a, b]["travel_time_h"] for a, b in itertools.pairwise(path))
    assert travel.between_municipalities("GM0153", "GM0297") == pytest.approx(hours)
    assert 1.0 < hours < 4.0


def test_disconnected_selection_is_bridged(region):
    codes = ("GM0153", "GM0297")  # Enschede and Zaltbommel, far apart
    sub = region.municipalities[region.municipalities["code"].isin(codes)]
    g = municipality_graph(sub, PARAMS)
    assert nx.is_connected(g)
    assert g.edges[codes]["shared_border"] is False


SITE_IDS = st.sampled_from(["FS-GM0200-1", "FS-GM0200-2", "FS-GM0153-1", "SP-GM0297-001",
                            "GM0268-K01", "GM0232-K02", "SP-GM0200-003", "FS-GM1708-1"])


@settings(max_examples=200, deadline=None)
@given(a=SITE_IDS, b=SITE_IDS, c=SITE_IDS)
def test_site_times_are_symmetric_and_satisfy_the_triangle_inequality(travel, a, b, c):
    assert travel.site_time(a, b) == pytest.approx(travel.site_time(b, a))
    assert travel.site_time(a, c) <= travel.site_time(a, b) + travel.site_time(b, c) + 1e-9
    assert (travel.site_time(a, a) == 0) and (a == b or travel.site_time(a, b) > 0)


def test_site_time_adds_local_legs(travel):
    a, b = travel.site("FS-GM0153-1"), travel.site("SP-GM0297-001")
    expected = (travel.between(a, Site(a.municipality, travel.graph.nodes[a.municipality]["x"],
                                       travel.graph.nodes[a.municipality]["y"]))
                + travel.between_municipalities(a.municipality, b.municipality)
                + travel.between(Site(b.municipality, travel.graph.nodes[b.municipality]["x"],
                                      travel.graph.nodes[b.municipality]["y"]), b))
    assert travel.site_time("FS-GM0153-1", "SP-GM0297-001") == pytest.approx(expected)


def test_unknown_or_duplicate_sites_are_refused(travel, region):
    with pytest.raises(ValueError, match="registered twice"):
        travel.add_sites(region.fire_stations.head(1))
    with pytest.raises(KeyError):
        travel.site_time("FS-GM0200-1", "nope")
