"""Running a prepared scenario: the core entry point, free of Hydra and of file I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from sim.geo.network import TravelTimes, municipality_graph
from sim.params import Scenario
from sim.summary import region_summary


@dataclass(frozen=True)
class RunResult:
    """What one run produced."""

    scenario: Scenario
    graph: nx.Graph
    travel: TravelTimes
    summary: dict[str, Any]


def build_network(scenario: Scenario) -> TravelTimes:
    """The municipality graph and travel times, with every point site registered."""
    graph = municipality_graph(scenario.region.municipalities, scenario.params.network)
    travel = TravelTimes(graph, scenario.params.network)
    region = scenario.region
    for layer in (region.demand_points, region.fire_stations, region.support_point_candidates):
        travel.add_sites(layer)
    return travel


def run(scenario: Scenario) -> RunResult:
    """Set up the region and its network and summarise them."""
    travel = build_network(scenario)
    graph = travel.graph
    summary = region_summary(scenario.region, scenario.affected_codes())
    times = travel.matrix()
    summary["network"] = {
        "municipalities": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "edges_without_shared_border": sum(
            1 for *_, d in graph.edges(data=True) if not d["shared_border"]
        ),
        "max_travel_time_h": round(float(times.max()), 3),
    }
    return RunResult(scenario=scenario, graph=graph, travel=travel, summary=summary)
