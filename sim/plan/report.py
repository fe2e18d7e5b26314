"""What a plan writes: the chosen package's preset, its report per region, the tables.

Pure functions from the search's results to text and tables; the command line
(``sim.cli.plan``) writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import yaml

from sim.plan.evaluate import REPLACED, EvaluationStore, merged
from sim.plan.package import COST_ITEMS, Package, total
from sim.plan.search import BASELINE
from sim.plan.settings import PlanSettings
from sim.results.headline import percent


def config_diff(default: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``given`` that differ from ``default`` (mappings recursively)."""
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key == "hydra":
            continue
        old = default.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            sub = config_diff(old, value)
            if sub:
                out[key] = sub
        elif value != old:
            out[key] = value
    return out


def _drop(d: dict[str, Any], dotted: str) -> None:
    *path, last = dotted.split(".")
    node: Any = d
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


def preset_text(name: str, scenario_diff: Mapping[str, Any], changes: Mapping[str, Any],
                header: Sequence[str]) -> str:
    """A scenario preset (``# @package _global_``) that reruns the base with the package."""
    base = {k: v for k, v in scenario_diff.items() if k != "name"}
    for key in REPLACED:  # the package names every region; drop other spellings
        _drop(base, key)
    body = merged(base, changes)
    body = {"name": name, **body}
    lines = ["# @package _global_", *(f"# {h}" if h else "#" for h in header)]
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True,
                                                     width=96)


def region_table(package: Package, bought: Mapping[str, Mapping[str, Any]],
                 cost: Mapping[str, Mapping[str, float]], store: EvaluationStore,
                 key: str, seeds: Sequence[int]) -> pd.DataFrame:
    """Per safety region: what the package buys, what it costs, the norm before and after."""
    rows = []
    for region in sorted(bought):
        before = [store.get(BASELINE, s)["by_region"][region]["norm_72h_share"] for s in seeds]
        after = [store.get(key, s)["by_region"][region]["norm_72h_share"] for s in seeds]
        reach = [store.get(key, s)["by_region"][region]["within_reach_operational_share"]
                 for s in seeds]
        reach = [r for r in reach if r is not None]
        rows.append({
            "region": region, **bought[region],
            **{f"{item}_eur": round(cost[region][item], 2) for item in COST_ITEMS},
            "cost_eur": round(sum(cost[region].values()), 2),
            "norm_before_mean": sum(before) / len(before),
            "norm_after_mean": sum(after) / len(after),
            "norm_after_min": min(after), "norm_after_max": max(after),
            "reach_operational_after_mean": sum(reach) / len(reach) if reach else None,
        })
    return pd.DataFrame(rows)


def euro(x: float) -> str:
    """EUR 9.3 million / EUR 450,000."""
    if abs(x) >= 1e6:
        return f"EUR {x / 1e6:.2f} million"
    return f"EUR {x:,.0f}"


def meeting_target(df: pd.DataFrame, settings: PlanSettings) -> pd.Series | None:
    """The cheapest package evaluated that meets the norm target (None: none does)."""
    ok = df[(df["package"] != BASELINE) & (df["norm_assured"] >= settings.norm - 1e-12)]
    if settings.coordination_points is not None:
        ok = ok[ok["coordination_points_functional_share"].fillna(0.0)
                >= settings.coordination_points - 1e-12]
    if ok.empty:
        return None
    return ok.sort_values(["cost_eur", "package"]).iloc[0]


def report_text(settings: PlanSettings, chosen: pd.Series, why: str,
                baseline: pd.Series, regions: pd.DataFrame, package: Package,
                n_packages: int, seeds: Sequence[int], rerun: str,
                cheapest: pd.Series | None = None) -> str:
    """The plan's short report (markdown, readable on a terminal)."""
    goal = (f"the best assured norm for a budget of {euro(settings.budget_eur)}"
            if settings.budget_eur is not None else
            f"the 72-hour norm at or above {percent(settings.norm)} in at least "
            f"{percent(settings.seed_share)} of the seeds, at the lowest cost")
    lines = [
        f"# Plan: {why}",
        "",
        f"Goal: {goal}. {n_packages} packages evaluated, each with seeds "
        f"{', '.join(map(str, seeds))} (the same for all).",
        "",
        f"**Cost (first year): {euro(float(chosen['cost_eur']))}.** "
        f"72-hour norm: {percent(chosen['norm_assured'])} assured (reached in at least "
        f"{percent(settings.seed_share)} of the seeds), mean {percent(chosen['norm_mean'])}, "
        f"range {percent(chosen['norm_min'])}-{percent(chosen['norm_max'])}; "
        f"the scenario as given: mean {percent(baseline['norm_mean'])} of "
        f"{int(baseline['local_points_planned'])} points.",
        f"Local points planned: {int(chosen['local_points_planned'])}; residents in reach of "
        f"an operational point at 72 h: {percent(chosen['within_reach_operational_share'])} "
        f"(as given: {percent(baseline['within_reach_operational_share'])}); coordination "
        f"points functioning: {percent(chosen['coordination_points_functional_share'])} "
        f"(as given: {percent(baseline['coordination_points_functional_share'])}).",
        *([] if settings.budget_eur is None else [
            "",
            (f"The target ({percent(settings.norm)} in at least {percent(settings.seed_share)} "
             f"of the seeds) is first met at {euro(float(cheapest['cost_eur']))} "
             f"(package {cheapest['package']} in trials.csv)." if cheapest is not None else
             f"No package evaluated meets the target ({percent(settings.norm)} in at least "
             f"{percent(settings.seed_share)} of the seeds)."),
        ]),
        "",
        f"Everywhere: fixed generators hold {package.autonomy_h:g} h at full load; "
        f"satellite phones at coordination points: {'yes' if package.satellite else 'no'}; "
        f"extra volunteers per 100,000 residents: {package.volunteers_per_100k:g}.",
        "",
        "| Safety region | Points | Own gen. | New gen. | Connection pts | Stations | "
        "Mobile (+) | Trucks (+) | Cost | Norm before | Norm after (range) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in regions.iterrows():
        lines.append(
            f"| {r['region']} | {r['designated_points']} | {r['points_with_own_generator']} | "
            f"{r['point_generators']} | {r['connection_points']} | {r['station_generators']} | "
            f"{r['mobile_generators']} (+{r['mobile_extra']}) | {r['fuel_trucks']} "
            f"(+{r['trucks_extra']}) | {euro(r['cost_eur'])} | "
            f"{percent(r['norm_before_mean'])} | {percent(r['norm_after_mean'])} "
            f"({percent(r['norm_after_min'])}-{percent(r['norm_after_max'])}) |")
    lines += ["", f"Rerun: `{rerun}`", ""]
    return "\n".join(lines)


def preset_header(why: str, chosen: pd.Series, cost: Mapping[str, Mapping[str, float]]
                  ) -> list[str]:
    """Comment lines at the top of the preset: what it is and what it achieved."""
    items = {i: sum(c[i] for c in cost.values()) for i in COST_ITEMS}
    return [f"Package chosen by blackout-sim-plan on {date.today():%Y-%m-%d}: {why}.",
            f"First-year cost {euro(total(cost))}: "
            + ", ".join(f"{i.replace('_', ' ')} {euro(v)}" for i, v in items.items() if v),
            f"72-hour norm over the plan's seeds: mean {percent(chosen['norm_mean'])}, "
            f"range {percent(chosen['norm_min'])}-{percent(chosen['norm_max'])}."]
