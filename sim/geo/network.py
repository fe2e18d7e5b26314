"""The municipality network: a networkx graph of shared borders with road travel times.

Nodes are municipalities (CBS code) with their attributes; an edge joins two
municipalities that share a border. Borders are found with a tolerance, so
slivers and tiny gaps between real polygons do not break adjacency, and a
minimum shared length, so two polygons touching at a corner are not joined.
Each edge carries a road travel time: centroid distance times a detour factor
over a speed. Travel between two sites is the local leg from the first site to
its municipality's centroid, the shortest path over the graph, and the local
leg from the centroid to the second site; within one municipality it is the
direct local leg. Both legs use the same detour factor, so travel times are a
metric (symmetric, triangle inequality).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

#: Edge attribute holding the travel time in hours.
WEIGHT = "travel_time_h"


@dataclass(frozen=True)
class NetworkParams:
    """How borders are found and travel times computed (all ESTIMATEs, see configs/region)."""

    detour_factor: float = 1.3
    road_speed_kmh: float = 60.0
    local_speed_kmh: float = 40.0
    border_tolerance_m: float = 50.0
    min_shared_border_m: float = 100.0


@dataclass(frozen=True)
class Site:
    """A place on the network: its municipality and its coordinates in EPSG:28992."""

    municipality: str
    x: float
    y: float


def largest_town(demand_points: gpd.GeoDataFrame, code: str) -> Site | None:
    """The population centre of municipality ``code`` with the most residents (None: none)."""
    towns = demand_points[demand_points["municipality"] == code]
    if towns.empty:
        return None
    g = towns.sort_values(["residents", "id"], ascending=[False, True]).geometry.iloc[0]
    return Site(code, float(g.x), float(g.y))


def municipality_graph(
    municipalities: gpd.GeoDataFrame, params: NetworkParams | None = None
) -> nx.Graph:
    """Join municipalities that share a border; edges carry distance and travel time.

    If the municipalities fall apart into separate groups (a selection of
    non-adjacent municipalities), each group is joined to its nearest one by
    the closest pair of centroids, marked ``shared_border=False``: roads run
    outside the selection too.
    """
    p = params or NetworkParams()
    geoms = municipalities.geometry.to_numpy()
    codes = municipalities["code"].astype(str).to_numpy()
    centroids = shapely.centroid(geoms)
    xy = shapely.get_coordinates(centroids)
    graph = nx.Graph()
    attrs = [c for c in municipalities.columns if c not in ("geometry",)]
    for i, code in enumerate(codes):
        row = {a: _plain(municipalities[a].iloc[i]) for a in attrs}
        graph.add_node(code, **row, x=float(xy[i, 0]), y=float(xy[i, 1]))

    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=p.border_tolerance_m)
    boundaries = shapely.boundary(geoms)
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        near_j = shapely.buffer(geoms[j], p.border_tolerance_m)
        # The part of i's boundary within the tolerance of j overshoots the real shared
        # border by up to the tolerance at each end; take that off.
        near = shapely.length(shapely.intersection(boundaries[i], near_j))
        shared = near - 2 * p.border_tolerance_m
        if shared >= p.min_shared_border_m and shared > 0:
            _add_edge(graph, codes[i], codes[j], xy[i], xy[j], p, shared_border=True)

    components = sorted(nx.connected_components(graph), key=lambda c: sorted(c)[0])
    while len(components) > 1:
        first, rest = components[0], set().union(*components[1:])
        a, b = _closest_pair(graph, first, rest)
        _add_edge(graph, a, b, _xy(graph, a), _xy(graph, b), p, shared_border=False)
        components = sorted(nx.connected_components(graph), key=lambda c: sorted(c)[0])
    return graph


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _xy(graph: nx.Graph, node: str) -> np.ndarray:
    return np.array([graph.nodes[node]["x"], graph.nodes[node]["y"]])


def _add_edge(
    graph: nx.Graph, a: str, b: str, pa: np.ndarray, pb: np.ndarray, p: NetworkParams,
    shared_border: bool,
) -> None:
    distance = float(np.hypot(*(pa - pb)))
    graph.add_edge(
        a, b,
        distance_m=distance,
        road_distance_m=distance * p.detour_factor,
        shared_border=shared_border,
        **{WEIGHT: distance * p.detour_factor / (p.road_speed_kmh * 1000.0)},
    )


def _closest_pair(graph: nx.Graph, group: Iterable[str], others: Iterable[str]) -> tuple[str, str]:
    best: tuple[float, str, str] | None = None
    for a in sorted(group):
        for b in sorted(others):
            d = float(np.hypot(*(_xy(graph, a) - _xy(graph, b))))
            if best is None or d < best[0]:
                best = (d, a, b)
    assert best is not None
    return best[1], best[2]


class TravelTimes:
    """Travel times in hours between municipalities and between any two sites.

    All shortest paths over the graph are computed once; site-to-site times are
    cached by site id (:meth:`site_time`) and by pair of sites (:meth:`between`).
    """

    def __init__(self, graph: nx.Graph, params: NetworkParams | None = None) -> None:
        self.params = params or NetworkParams()
        self.graph = graph
        self._codes: list[str] = sorted(graph.nodes)
        self._index = {c: i for i, c in enumerate(self._codes)}
        self._matrix = self._all_pairs()
        self._sites: dict[str, Site] = {}
        self._cached = lru_cache(maxsize=None)(self._site_time)
        #: Times already computed by :meth:`between`, by (from, to).
        self._pairs: dict[tuple[Site, Site], float] = {}

    def _all_pairs(self) -> np.ndarray:
        # Dijkstra from every municipality at once (scipy's compiled csgraph on the
        # networkx graph's sparse adjacency): the same path sums as networkx's, in C.
        adjacency = nx.to_scipy_sparse_array(self.graph, nodelist=self._codes, weight=WEIGHT,
                                             format="csr")
        m = dijkstra(adjacency, directed=False)
        # Sums along a path differ in the last bits by direction; travel is symmetric.
        return np.minimum(m, m.T)

    @property
    def codes(self) -> list[str]:
        """Municipality codes in matrix order."""
        return list(self._codes)

    def matrix(self) -> np.ndarray:
        """The municipality-to-municipality travel-time matrix (hours), in ``codes`` order."""
        return self._matrix.copy()

    def between_municipalities(self, a: str, b: str) -> float:
        """Shortest road time from centroid to centroid, in hours."""
        return float(self._matrix[self._index[a], self._index[b]])

    def path(self, a: str, b: str) -> list[str]:
        """The municipalities along the fastest route from ``a`` to ``b``."""
        return list(nx.dijkstra_path(self.graph, a, b, weight=WEIGHT))

    def local_time(self, distance_m: float) -> float:
        """Hours to cover a straight-line distance on local roads."""
        return distance_m * self.params.detour_factor / (self.params.local_speed_kmh * 1000.0)

    def between(self, a: Site, b: Site) -> float:
        """Travel time between two sites, in hours (symmetric; a metric; cached by pair)."""
        key = (a, b)
        hours = self._pairs.get(key)
        if hours is None:
            hours = self._pairs[key] = self._between(a, b)
        return hours

    def _between(self, a: Site, b: Site) -> float:
        if a.municipality == b.municipality:
            return self.local_time(float(np.hypot(a.x - b.x, a.y - b.y)))
        return (
            self._leg(a)
            + self.between_municipalities(a.municipality, b.municipality)
            + self._leg(b)
        )

    def _leg(self, site: Site) -> float:
        node = self.graph.nodes[site.municipality]
        return self.local_time(float(np.hypot(site.x - node["x"], site.y - node["y"])))

    def add_sites(self, frame: gpd.GeoDataFrame, id_column: str = "id") -> None:
        """Register point sites (a layer with ``municipality`` and point geometry) by id."""
        xy = shapely.get_coordinates(frame.geometry.to_numpy())
        for sid, muni, (x, y) in zip(frame[id_column], frame["municipality"], xy, strict=True):
            sid = str(sid)
            if sid in self._sites:
                raise ValueError(f"site id {sid!r} is registered twice")
            if muni not in self._index:
                raise ValueError(f"site {sid!r}: municipality {muni!r} is not in the network")
            self._sites[sid] = Site(str(muni), float(x), float(y))

    def site(self, site_id: str) -> Site:
        """The registered site with this id."""
        return self._sites[site_id]

    def site_time(self, a: str, b: str) -> float:
        """Travel time between two registered sites, by id (cached)."""
        return self._cached(a, b) if a <= b else self._cached(b, a)

    def _site_time(self, a: str, b: str) -> float:
        return self.between(self._sites[a], self._sites[b])
