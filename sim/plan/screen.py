"""The static pre-screen of a plan: which sites a package designates and equips first.

Local points. Residents at a demand point are *covered* by a candidate site
within cycling distance (straight line times the network's detour factor, as
the model's residents reckon it). Per safety region, :func:`greedy_cover` ranks
the candidates by the residents each adds to the coverage (maximal covering
location, Church and ReVelle 1974), one per municipality first (every
municipality has a point, seed 002); the candidates that add no coverage follow
by a density rule (:func:`fill_by_population`). The designated points are the
shortest prefix of that ranking that covers ``min_cover`` of the region's
residents (or all it can) and has a point per ``residents_per_point``
residents. Greedy coverage is within a factor (1 - 1/e) of the optimum and
its ranking is nested (a larger network contains the smaller), so one number
per region describes a package; :func:`max_cover_exact` solves the same problem
exactly (integer programme, scipy's HiGHS) to measure the gap
(``docs/validation.md``).

Fire stations. Coordination points without backup power, largest municipality
first, are the stations a package equips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from sim.params.scenario import Scenario


@dataclass(frozen=True)
class RegionScreen:
    """One safety region's ranked sites and static coverage."""

    region: str
    #: Designated local points, in rank order (the municipal minimum first).
    points: tuple[str, ...]
    #: Static share of the region's residents within cycling distance of them.
    cover: float
    #: The most any set of its candidates can cover.
    cover_all: float
    #: Coordination-point stations without backup power, largest municipality first.
    stations: tuple[str, ...]
    #: Coordination points in the region (satellite phones).
    coordination_points: int
    residents: float


@dataclass(frozen=True)
class Screen:
    """The pre-screen of a scenario: per region what a package can designate and equip."""

    regions: Mapping[str, RegionScreen]
    #: Candidate ids that already have a generator (as in the data).
    powered_points: frozenset[str]
    #: Generator size (kVA) and tank (L) of every candidate site and fire station, by id.
    kva: Mapping[str, float]
    tank_l: Mapping[str, float]
    #: Fire stations with backup power before the package.
    powered_stations: frozenset[str]
    #: Safety region of every fire station in the area, by id.
    station_region: Mapping[str, str]


def coverage_matrix(demand_xy: np.ndarray, site_xy: np.ndarray, km: float,
                    detour: float) -> sparse.csc_array:
    """Demand points x sites: True where the site is within ``km`` by road (straight x detour)."""
    rows: list[int] = []
    cols: list[int] = []
    if len(site_xy) and len(demand_xy):
        near = cKDTree(site_xy).query_ball_point(demand_xy, r=km * 1000.0 / detour)
        for i, js in enumerate(near):
            rows.extend([i] * len(js))
            cols.extend(js)
    data = np.ones(len(rows), dtype=bool)
    return sparse.csc_array((data, (rows, cols)), shape=(len(demand_xy), len(site_xy)))


def greedy_cover(cover: sparse.csc_array, weight: np.ndarray,
                 group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sites in greedy order of added covered weight, and the weight covered after each.

    With ``group`` (one label per site), one site of every group comes first, the
    best available each time. Then sites are added while they add weight. Ties go
    to the lower index, so the order is deterministic.
    """
    n_sites = cover.shape[1]
    uncovered = np.ones(cover.shape[0], dtype=bool)
    cov_t = cover.T.tocsr().astype(float)
    chosen = np.zeros(n_sites, dtype=bool)
    order: list[int] = []
    covered: list[float] = []
    open_groups = set(group.tolist()) if group is not None else set()
    while True:
        gain = cov_t @ (weight * uncovered)
        gain[chosen] = -1.0
        if open_groups:
            assert group is not None
            allowed = np.isin(group, list(open_groups)) & ~chosen
            gain = np.where(allowed, gain, -1.0)
        j = int(np.argmax(gain))
        if gain[j] < 0 or (not open_groups and gain[j] <= 0):
            break
        chosen[j] = True
        order.append(j)
        uncovered &= ~cover[:, [j]].toarray().ravel()
        covered.append(float(weight[~uncovered].sum()))
        if group is not None:
            open_groups.discard(group[j])
    return np.array(order, dtype=int), np.array(covered)


def max_cover_exact(cover: sparse.csc_array, weight: np.ndarray, p: int) -> float:
    """The most weight ``p`` sites can cover (maximal covering location problem, exact).

    Variables: x_j (site open), y_i (demand covered); maximise sum w_i y_i with
    y_i <= sum of x_j over the sites covering i and sum x_j = p.
    """
    n_d, n_s = cover.shape
    c = np.concatenate([np.zeros(n_s), -np.asarray(weight, float)])
    link = sparse.hstack([-cover.astype(float), sparse.identity(n_d)]).tocsr()
    total = sparse.hstack([sparse.csr_array(np.ones((1, n_s))),
                           sparse.csr_array((1, n_d))]).tocsr()
    res = milp(c, constraints=[LinearConstraint(link, -np.inf, 0),
                               LinearConstraint(total, p, p)],
               integrality=np.concatenate([np.ones(n_s), np.zeros(n_d)]),
               bounds=Bounds(0, 1))
    if not res.success:  # pragma: no cover - HiGHS solves these small problems
        raise RuntimeError(f"MCLP not solved: {res.message}")
    return float(-res.fun)


def designate(order: np.ndarray, covered: np.ndarray, groups: int, total: float,
              min_cover: float, at_least: int = 0, available: int | None = None) -> int:
    """How many ranked sites to take: one per municipality, enough to reach ``min_cover``.

    ``covered``: the weight covered after each site of the coverage ranking
    (``order``); ``at_least``: the density's count; ``available``: the length of
    the whole ranking (coverage, then the density fill), default ``len(order)``.
    """
    available = len(order) if available is None else available
    enough = len(order)
    if len(order) and total > 0:
        reach = min(min_cover * total, float(covered[-1]))
        enough = int(np.searchsorted(covered, reach - 1e-9 * total, side="left")) + 1
    return int(min(max(groups, enough, at_least), available))


def fill_by_population(chosen: list[int], municipality: np.ndarray, capacity: np.ndarray,
                       population: Mapping[str, float]) -> list[int]:
    """The remaining sites, in the order a density rule would add them.

    Each next site goes to the municipality with the most residents per point
    after it (highest ``population / (points + 1)``, the D'Hondt rule), and is
    its largest remaining site (ties: lower index).
    """
    taken = set(chosen)
    left: dict[str, list[int]] = {}
    for j in sorted(range(len(municipality)), key=lambda j: (-capacity[j], j)):
        if j not in taken:
            left.setdefault(str(municipality[j]), []).append(j)
    count = {m: 0 for m in left}
    for j in chosen:
        count[str(municipality[j])] = count.get(str(municipality[j]), 0) + 1
    out: list[int] = []
    while left:
        m = max(sorted(left), key=lambda m: population.get(m, 0.0) / (count.get(m, 0) + 1))
        out.append(left[m].pop(0))
        count[m] = count.get(m, 0) + 1
        if not left[m]:
            del left[m]
    return out


def screen(scenario: Scenario, min_cover: float, residents_per_point: float | None = None
           ) -> Screen:
    """The pre-screen of ``scenario``'s affected area.

    Per region the designated points are the first of the ranking (one per
    municipality, then by coverage, then by the density rule) until the region
    has one per municipality, ``min_cover`` of its residents within cycling
    distance and, with ``residents_per_point``, a point per that many residents.
    """
    region = scenario.region
    p = scenario.params
    affected = set(scenario.affected_codes())
    m = region.municipalities
    m = m[m["code"].isin(affected)]
    population = dict(zip(m["code"], m["population"].astype(float), strict=True))
    dp = region.demand_points[region.demand_points["municipality"].isin(affected)]
    cand = region.support_point_candidates[
        region.support_point_candidates["municipality"].isin(affected)]
    fs = region.fire_stations[region.fire_stations["municipality"].isin(affected)]
    out: dict[str, RegionScreen] = {}
    for name in sorted(set(m["region"].astype(str))):
        d = dp[dp["region"].astype(str) == name]
        s = cand[cand["region"].astype(str) == name].reset_index(drop=True)
        weight = d["residents"].to_numpy(float)
        cover = coverage_matrix(shapely.get_coordinates(d.geometry.to_numpy()),
                                shapely.get_coordinates(s.geometry.to_numpy()),
                                p.population.access.cycle_km, p.network.detour_factor)
        group = s["municipality"].astype(str).to_numpy()
        order, covered = greedy_cover(cover, weight, group)
        ranking = np.array([*order, *fill_by_population(
            list(order), group, s["capacity"].to_numpy(float), population)], dtype=int)
        total = float(weight.sum())
        residents = float(m.loc[m["region"].astype(str) == name, "population"].sum())
        density = round(residents / residents_per_point) if residents_per_point else 0
        k = designate(order, covered, len(set(group)), total, min_cover, density, len(ranking))
        picked = ranking[:k]
        cover_k = float(weight[np.asarray(cover[:, picked].sum(axis=1)).ravel() > 0].sum())
        cps = fs[fs["is_coordination_point"].astype(bool) & ~fs["has_backup_power"].astype(bool)
                 & (fs["region"].astype(str) == name)]
        cps = cps.assign(pop=cps["municipality"].map(population)).sort_values(
            ["pop", "id"], ascending=[False, True])
        n_cp = int((fs["is_coordination_point"].astype(bool)
                    & (fs["region"].astype(str) == name)).sum())
        out[name] = RegionScreen(
            region=name,
            points=tuple(str(x) for x in s["id"].to_numpy()[picked]),
            cover=cover_k / total if total else 0.0,
            cover_all=float(covered[-1]) / total if len(covered) and total else 0.0,
            stations=tuple(str(x) for x in cps["id"]),
            coordination_points=n_cp,
            residents=residents,
        )
    sites = pd.concat([cand[["id", "generator_kva", "tank_l", "has_backup_power"]],
                       fs[["id", "generator_kva", "tank_l", "has_backup_power"]]])
    ids = sites["id"].astype(str)
    return Screen(
        regions=out,
        powered_points=frozenset(cand.loc[cand["has_backup_power"].astype(bool), "id"]
                                 .astype(str)),
        kva=dict(zip(ids, sites["generator_kva"].astype(float), strict=True)),
        tank_l=dict(zip(ids, sites["tank_l"].astype(float), strict=True)),
        powered_stations=frozenset(fs.loc[fs["has_backup_power"].astype(bool), "id"]
                                   .astype(str)),
        station_region=dict(zip(fs["id"].astype(str), fs["region"].astype(str), strict=True)),
    )
