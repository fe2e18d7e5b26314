"""Where the search's packages come from besides NSGA-II: the pre-screen and local moves.

:func:`proposals` prices a grid of uniform packages (the same choices in every
region) with a static estimate of the norm (:func:`static_norm`) and proposes
those on the static cost-norm frontier: the search's first generation.

:func:`refinements` looks at what the model has shown so far and proposes the
packages one lever step away from the incumbent (the package that would be
chosen now) and from the cheapest package that meets the target: a step down on
each lever (the same norm for less money?); and a step up on each lever from the
best package short of the target and, with a budget, from the incumbent (within
the budget). Added to every later
generation, they let the search walk the frontier where the decision is (a
memetic variant of NSGA-II: the evolutionary search with a local search).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from itertools import zip_longest

import numpy as np
import pandas as pd

from sim.params.scenario import Params
from sim.plan.package import Package
from sim.plan.screen import Screen
from sim.plan.settings import PlanSettings
from sim.plan.space import Space, uniform


def static_norm(package: Package, screen: Screen, base: Params) -> float:
    """A quick estimate of the norm without the model, to rank proposals.

    Designated points with their own generator count as running at 72 h when
    their tanks last 72 h, else in the share of refuels the trucks can make (each
    truck about 12 deliveries a day; each generator needs 24/autonomy a day);
    points without one count when a mobile unit is left after the coordination
    points without backup power (the mobile units' first priority).
    """
    hit = points = 0.0
    autonomy = max(package.autonomy_h, base.power.min_autonomy_h or 0.0)
    for r, rs in screen.regions.items():
        fixed = (len(package.fixed_points(screen, r))
                 + sum(p in screen.powered_points for p in rs.points))
        bare = len(package.connection_points(screen, r))
        cps_dark = len(rs.stations) - len(package.stations(screen, r))
        mobile = base.power.mobile_per_region[r] + package.mobile_extra[r]
        on_mobile = min(bare, max(0, mobile - cps_dark))
        trucks = base.fuel.trucks_per_region[r] + package.trucks_extra[r]
        need = (fixed + on_mobile + len(rs.stations)) * 24.0 / max(autonomy, 1.0)
        fuel = 1.0 if autonomy >= 72 else min(1.0, trucks * 12.0 / max(need, 1e-9))
        hit += fixed * fuel + on_mobile * min(fuel, 1.0)
        points += len(rs.points)
    return hit / points if points else 0.0


def proposals(screen: Screen, base: Params, settings: PlanSettings,
              cost_of: Callable[[Package], float], limit: int) -> list[Package]:
    """Uniform packages on the static cost-norm frontier, spread over cost."""
    regions = tuple(sorted(screen.regions))
    lv = settings.levers
    shares = sorted({0.0, 0.5, 1.0, *(k * lv.fixed_share_step
                                     for k in range(lv.steps(lv.fixed_share_step) + 1))})
    grid = []
    for f in shares:
        for s in (0.0, 1.0):
            for m in sorted({0, min(3, lv.mobile_max_extra)}):
                for t in sorted({0, min(2, lv.trucks_max_extra)}):
                    for a in lv.autonomy_h:
                        p = uniform(regions, round(min(f, 1.0), 6), s, m, t, a)
                        grid.append((cost_of(p), -static_norm(p, screen, base), p.key, p))
    grid.sort(key=lambda g: (g[0], g[1], g[2]))
    front: list[tuple[float, float, str, Package]] = []
    for g in grid:
        if not front or g[1] < front[-1][1] - 1e-9:
            front.append(g)
    if len(front) > limit:
        picks = np.unique(np.linspace(0, len(front) - 1, limit).round().astype(int))
        front = [front[i] for i in picks]
    return [g[3] for g in front]


def refinements(scores: pd.DataFrame, packages: dict[str, Package], space: Space,
                settings: PlanSettings, cost_of: Callable[[Package], float],
                seen: Collection[str], limit: int) -> list[Package]:
    """Packages one lever step from where the decision is, not yet evaluated.

    ``scores``: one row per evaluated package (``package``, ``cost_eur``,
    ``norm_assured``, ``coordination_points_functional_share``).
    """
    d = scores[scores["package"].isin(packages)]
    if settings.coordination_points is not None:
        d = d[d["coordination_points_functional_share"].fillna(0.0)
              >= settings.coordination_points - 1e-12]
    if d.empty:
        return []
    budget = settings.budget_eur
    by_cost = d.sort_values(["cost_eur", "norm_assured", "package"],
                            ascending=[True, False, True])
    down_from: list[str] = []
    up_from: list[str] = []
    if budget is not None:
        ok = by_cost[by_cost["cost_eur"] <= budget + 1e-6]
        if not ok.empty:
            best = ok.sort_values(["norm_assured", "cost_eur", "package"],
                                  ascending=[False, True, True]).iloc[0]
            down_from.append(str(best["package"]))
            up_from.append(str(best["package"]))
        by_cost = ok  # the target's threshold too (the report names it), within the budget
    met = by_cost[by_cost["norm_assured"] >= settings.norm - 1e-12]
    if not met.empty:
        down_from.append(str(met.iloc[0]["package"]))
        cheaper = by_cost[by_cost["cost_eur"] < met.iloc[0]["cost_eur"]]
    else:
        cheaper = by_cost
    if not cheaper.empty:
        up_from.append(str(cheaper.sort_values(["norm_assured", "cost_eur", "package"],
                                               ascending=[False, True, True])
                           .iloc[0]["package"]))
    out: list[Package] = []
    keys = set(seen)
    downs = [m for k in down_from for m in space.moves(packages[k], -1)]
    ups = [m for k in up_from for m in space.moves(packages[k], +1)]
    if budget is not None:
        ups = [m for m in ups if cost_of(m) <= budget + 1e-6]
    # Alternate cheaper and better moves, in the space's fixed order.
    for pair in zip_longest(downs, ups):
        for m in pair:
            if m is not None and m.key not in keys:
                keys.add(m.key)
                out.append(m)
    return out[:limit]
