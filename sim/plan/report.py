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

from sim.plan.package import COST_ITEMS, Package, total
from sim.plan.search import BASELINE
from sim.plan.settings import PlanSettings
from sim.results.batch import REPLACED, EvaluationStore, merged
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
    def values(k: str, region: str, name: str) -> list[float]:
        out = [store.get(k, s)["by_region"][region][name] for s in seeds]
        return [float(v) for v in out if v is not None]

    def mean(xs: list[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    rows = []
    for region in sorted(bought):
        before = values(BASELINE, region, "norm_72h_share")
        after = values(key, region, "norm_72h_share")
        rows.append({
            "region": region,
            "points_before": int(store.get(BASELINE, seeds[0])["by_region"][region]
                                 ["local_points_planned"]),
            **bought[region],
            **{f"{item}_eur": round(cost[region][item], 2) for item in COST_ITEMS},
            "cost_eur": round(sum(cost[region].values()), 2),
            "norm_before_mean": mean(before),
            "norm_after_mean": mean(after),
            "norm_after_min": min(after), "norm_after_max": max(after),
            **{f"{name}_{when}_mean": mean(values(k, region, name))
               for name in ("within_reach_share", "within_reach_operational_share",
                            "coordination_points_functional_share", "vulnerable_harmed")
               for when, k in (("before", BASELINE), ("after", key))},
        })
    return pd.DataFrame(rows).round(6)


def euro(x: float) -> str:
    """EUR 9.3 million / EUR 450,000."""
    if abs(x) >= 1e6:
        return f"EUR {x / 1e6:.2f} million"
    return f"EUR {x:,.0f}"


def meeting_target(df: pd.DataFrame) -> pd.Series | None:
    """The cheapest package evaluated that meets the target (None: none does)."""
    ok = df[df["meets_target"].astype(bool)]
    if ok.empty:
        return None
    return ok.sort_values(["cost_eur", "package"]).iloc[0]


def goal_text(settings: PlanSettings) -> str:
    """What the plan was asked, in words."""
    norm = (f"the 72-hour norm at or above {percent(settings.norm)} in at least "
            f"{percent(settings.seed_share)} of the seeds")
    if settings.seeds * settings.seed_share <= 1 + 1e-9 or settings.seed_share >= 1:
        norm += f" ({'every seed' if settings.seed_share >= 1 else 'one seed'})"
    cp = ("" if settings.coordination_points is None else
          f", with at least {percent(settings.coordination_points)} of the coordination "
          "points functioning at 72 h (mean over the seeds)")
    if settings.budget_eur is not None:
        return (f"the best assured norm for a budget of {euro(settings.budget_eur)}{cp} "
                f"(target: {norm})")
    return f"{norm}{cp}, at the lowest cost"


def _before_after(chosen: pd.Series, baseline: pd.Series) -> list[str]:
    def pair(key: str) -> str:
        return f"{percent(chosen[key])} (as given: {percent(baseline[key])})"

    return [
        f"- local points planned: {int(chosen['local_points_planned'])} designated and equipped "
        f"(as given: all {int(baseline['local_points_planned'])} candidate sites, mostly "
        "without power);",
        f"- residents without power in reach of an operational point at 72 h: "
        f"{pair('within_reach_operational_share')}; of any open point, with or without "
        f"power: {pair('within_reach_share')} (fewer points are fewer within walking or "
        "cycling distance);",
        f"- coordination points functioning: {pair('coordination_points_functional_share')};",
        f"- vulnerable residents in danger reached in time: "
        f"{pair('vulnerable_reached_in_time_share')}; harmed: "
        f"{chosen['vulnerable_harmed']:.0f} (as given: {baseline['vulnerable_harmed']:.0f}; "
        "mean over the seeds).",
    ]


def report_text(settings: PlanSettings, chosen: pd.Series, why: str,
                baseline: pd.Series, regions: pd.DataFrame, package: Package,
                n_packages: int, seeds: Sequence[int], rerun: str,
                cheapest: pd.Series | None = None, notes: Sequence[str] = ()) -> str:
    """The plan's short report (markdown, readable on a terminal)."""
    lines = [
        f"# Plan: {why}",
        "",
        f"Goal: {goal_text(settings)}. {n_packages} packages evaluated, each with seeds "
        f"{', '.join(map(str, seeds))} (the same for all).",
        "",
        f"**Cost (first year): {euro(float(chosen['cost_eur']))}.** "
        f"72-hour norm: {percent(chosen['norm_assured'])} assured (reached in at least "
        f"{percent(settings.seed_share)} of the seeds), mean {percent(chosen['norm_mean'])}, "
        f"range {percent(chosen['norm_min'])}-{percent(chosen['norm_max'])}; "
        f"the scenario as given: mean {percent(baseline['norm_mean'])} of "
        f"{int(baseline['local_points_planned'])} points.",
        "",
        *_before_after(chosen, baseline),
        *([] if cheapest is None or cheapest["package"] == chosen["package"] else [
            "",
            f"The target is first met at {euro(float(cheapest['cost_eur']))} (package "
            f"{cheapest['package']}: its levers in trials.csv; "
            f"`--preset {cheapest['package']}` writes it as a preset)."]),
        *([] if cheapest is not None else [
            "", "No package evaluated meets the target."]),
        *(["", *notes] if notes else []),
        "",
        f"Everywhere: fixed generators hold {package.autonomy_h:g} h at full load; "
        f"satellite phones at coordination points: {'yes' if package.satellite else 'no'}; "
        f"extra volunteers per 100,000 residents: {package.volunteers_per_100k:g}.",
        "",
        "| Safety region | Points (as given) | Own gen. | New gen. | Connection pts | "
        "Stations | Mobile (+) | Trucks (+) | Cost | Norm as given | Norm: mean (range) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in regions.iterrows():
        lines.append(
            f"| {r['region']} | {r['designated_points']} ({r['points_before']}) | "
            f"{r['points_with_own_generator']} | "
            f"{r['point_generators']} | {r['connection_points']} | {r['station_generators']} | "
            f"{r['mobile_generators']} (+{r['mobile_extra']}) | {r['fuel_trucks']} "
            f"(+{r['trucks_extra']}) | {euro(r['cost_eur'])} | "
            f"{percent(r['norm_before_mean'])} | {percent(r['norm_after_mean'])} "
            f"({percent(r['norm_after_min'])}-{percent(r['norm_after_max'])}) |")
    lines += [
        "",
        "Costs are first-year costs: the investment plus a year of upkeep and contracts; "
        "fuel storage tops every fixed generator up to the hours above at full load. Unit "
        "prices and their sources: configs/plan/default.yaml; per item and region: "
        "regions.csv.",
        "",
        f"Rerun: `{rerun}`", ""]
    return "\n".join(lines)


def nothing_chosen_text(settings: PlanSettings, why: str, df: pd.DataFrame,
                        n_seeds: int) -> str:
    """The report when no package qualifies: what was asked, the closest found, what to try."""
    d = df[df["package"] != BASELINE]
    lines = [f"# Plan: {why}", "", f"Goal: {goal_text(settings)}.", ""]
    if not d.empty:
        best = d.sort_values(["norm_assured", "cost_eur"], ascending=[False, True]).iloc[0]
        cheap = d.sort_values("cost_eur").iloc[0]
        lines += [
            f"{len(d)} packages evaluated with {n_seeds} seeds each. Best assured norm found: "
            f"{percent(best['norm_assured'])} for {euro(float(best['cost_eur']))} (package "
            f"{best['package']}); the cheapest package costs {euro(float(cheap['cost_eur']))}; "
            "most coordination points functioning: "
            f"{percent(d['coordination_points_functional_share'].max())}.",
            "",
            "Try a larger budget (plan.budget_eur), a lower target (plan.target.*), more "
            "packages (plan.trials) or wider levers (plan.levers.*). Every package is in "
            "trials.csv; `--preset <package>` writes one as a preset.",
        ]
    return "\n".join(lines) + "\n"


def preset_header(why: str, chosen: pd.Series, cost: Mapping[str, Mapping[str, float]],
                  goal: str) -> list[str]:
    """Comment lines at the top of the preset: what it is and what it achieved."""
    items = {i: sum(c[i] for c in cost.values()) for i in COST_ITEMS}
    return [f"Package chosen by blackout-sim-plan on {date.today():%Y-%m-%d}: {why}.",
            f"Goal: {goal}.",
            f"Regions: {', '.join(sorted(cost))}. First-year cost {euro(total(cost))}: "
            + ", ".join(f"{i.replace('_', ' ')} {euro(v)}" for i, v in items.items() if v)
            + ".",
            f"72-hour norm over the plan's seeds: mean {percent(chosen['norm_mean'])}, "
            f"range {percent(chosen['norm_min'])}-{percent(chosen['norm_max'])}; coordination "
            f"points functioning {percent(chosen['coordination_points_functional_share'])}.",
            "",
            "support_points.activation.priority: the designated local points (the only "
            "planned ones);",
            "support_points.add_generators: those that gain a fixed generator; "
            "stations.add_backup: stations that do.",
            ""]
