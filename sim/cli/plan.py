"""``blackout-sim-plan [key=value ...]``: the cheapest package that meets the 72-hour norm.

Arguments starting with ``plan.`` change the plan settings
(``configs/plan/default.yaml``: target, budget, seeds, trials, levers, costs);
every other ``key=value`` composes the scenario exactly as ``python -m sim``
does (``scenarios=twente``, ``region.select.regions=[VGGM]``, ``seed=7``).

The plan folder (``<results_dir>/plans/<name>``, or ``--out``) holds every model
run as it ends, so a search that is stopped continues where it was when the
same command is given again; other settings for an existing folder are
refused. At the end it writes the cost-norm frontier (``trials.csv``,
``frontier.csv``, ``frontier.png``), the report per region (``report.md``,
``regions.csv``, ``plan.json``) and the chosen package as a scenario preset
(``scenarios/plan_<name>.yaml``), rerun with
``python -m sim --config-dir <plan folder> scenarios=plan_<name>``.
Bad input exits with status 2 before anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.cli.common import (
    Progress,
    claim_folder,
    compose_config,
    guarded,
    load_group,
    split_overrides,
)
from sim.errors import InputError, Problem
from sim.params.scenario import Params
from sim.params.validate import prepare
from sim.paths import CONFIG_DIR
from sim.plan.report import (
    config_diff,
    goal_text,
    meeting_target,
    nothing_chosen_text,
    preset_header,
    preset_text,
    region_table,
    report_text,
)
from sim.plan.screen import Screen, screen
from sim.plan.search import BASELINE, Trials, choose, frontier, search, table
from sim.plan.settings import PlanSettings, read_plan
from sim.research.frontier import frontier_figure
from sim.results.batch import EvaluationStore
from sim.results.files import dump_json, write_atomic, write_text_atomic

PLAN_DEFAULTS = CONFIG_DIR / "plan" / "default.yaml"


def plan_settings(overrides: Sequence[str]) -> PlanSettings:
    """``configs/plan/default.yaml`` with ``plan.`` overrides, validated."""
    return read_plan(load_group(PLAN_DEFAULTS, "plan", overrides))


def plan_name(name: str, regions: Sequence[str]) -> str:
    """The plan's name: the scenario's, with the regions when there are few."""
    return f"{name}_{'-'.join(sorted(regions))}" if len(regions) <= 3 else name


def run_plan(scenario_overrides: Sequence[str], plan_overrides: Sequence[str],
             out: Path | None, preset: str | None = None) -> Path:
    """Compose, validate, search and write; return the plan folder."""
    settings = plan_settings(plan_overrides)
    given = compose_config(scenario_overrides)
    plain = compose_config(["~scenarios"])  # the defaults alone: the preset is the difference
    base = prepare(given)
    too_long = [h for h in settings.levers.autonomy_h if h > base.params.horizon_h]
    if too_long:
        raise InputError([Problem("plan.levers.autonomy_h", list(settings.levers.autonomy_h),
                                  f"hours must not exceed the run's horizon_h "
                                  f"({base.params.horizon_h:g}): {too_long}")])
    sc = screen(base, settings.min_cover, settings.residents_per_point)
    name = plan_name(base.params.name, list(sc.regions))
    folder = out or Path(given["results_dir"]) / "plans" / name
    # What decides the results: the scenario (wherever results go) and the plan settings.
    state = json.loads(dump_json({
        "scenario": {k: v for k, v in given.items() if k != "results_dir"},
        "plan": settings.fingerprint()}))
    claim_folder(folder / "plan_state.json", state, "plan")
    settings = dataclasses.replace(settings, launcher=dataclasses.replace(
        settings.launcher, folder=folder / "submitit"))
    jobs = settings.jobs or os.cpu_count() or 1
    expected = (settings.trials + 1) * settings.seeds
    n_points = sum(len(r.points) for r in sc.regions.values())
    residents = sum(r.residents for r in sc.regions.values())
    print(f"plan for {', '.join(sorted(sc.regions))}: {n_points} local points designated "
          f"(one per {residents / max(n_points, 1):,.0f} residents); at most "
          f"{settings.trials} packages x {settings.seeds} seeds + the scenario as given = "
          f"{expected} model runs on {jobs} processes", file=sys.stderr)
    store = EvaluationStore(folder / "evaluations.jsonl")
    progress = Progress(expected - len(store.results))
    trials = search(given, base.params, sc, settings, store, progress)
    seeds = [base.params.seed + i for i in range(settings.seeds)]
    df = table(trials, store, seeds, settings)
    key, why, _ = choose(df, settings)
    if preset is not None:
        if preset not in trials.packages:
            raise InputError([Problem("--preset", preset, "must be a package of this plan "
                                      "(the column package of trials.csv)")])
        key, why = preset, "the package asked for with --preset"
    notes = []
    n_batches = -(-settings.trials // settings.batch)
    if key in trials.batch and trials.batch[key] == n_batches and n_batches > 1:
        notes.append(f"Note: this package was found in the search's last generation "
                     f"({n_batches}): a longer search (plan.trials) may find a cheaper one.")
    write_outputs(Outputs(folder, settings, given, plain, name, df, key, why, trials, sc,
                          base.params, store, seeds, notes))
    return folder


@dataclass(frozen=True)
class Outputs:
    """What :func:`write_outputs` needs of a finished search."""

    folder: Path
    settings: PlanSettings
    given: dict[str, Any]
    plain: dict[str, Any]
    name: str
    df: pd.DataFrame
    key: str
    why: str
    trials: Trials
    screen: Screen
    base: Params
    store: EvaluationStore
    seeds: list[int]
    notes: list[str]


def write_outputs(o: Outputs) -> None:
    """The tables, figure, report and preset of a finished search, each atomically."""
    folder, df, settings = o.folder, o.df, o.settings
    front = frontier(df)
    df = df.assign(on_frontier=df["package"].isin(front["package"]),
                   chosen=df["package"] == o.key)
    write_atomic(folder / "trials.csv", lambda p: df.to_csv(p, index=False))
    write_atomic(folder / "frontier.csv",
                 lambda p: df[df["on_frontier"]].sort_values(["cost_eur", "package"])
                 .to_csv(p, index=False))
    frontier_figure(df, front, o.key, settings.norm, settings.budget_eur, folder,
                    f"{o.name}: cost and the 72-hour norm ({len(df) - 1} packages, "
                    f"{len(o.seeds)} seeds each)")
    chosen = df[df["package"] == o.key].iloc[0]
    baseline = df[df["package"] == BASELINE].iloc[0]
    preset_name = f"plan_{o.name}"
    rerun = f"python -m sim --config-dir {folder} scenarios={preset_name}"
    info: dict[str, Any] = {"chosen": o.key, "why": o.why, "seeds": o.seeds,
                            "settings": settings.fingerprint(),
                            "chosen_results": chosen.to_dict(),
                            "baseline_results": baseline.to_dict(), "rerun": None}
    package = o.trials.packages.get(o.key)
    if package is not None:
        cost = o.trials.costs[o.key]
        bought = package.bought(o.screen, o.base)
        regions = region_table(package, bought, cost, o.store, o.key, o.seeds)
        write_atomic(folder / "regions.csv", lambda p: regions.to_csv(p, index=False))
        text = preset_text(preset_name, config_diff(o.plain, o.given),
                           package.overrides(o.screen, o.base),
                           preset_header(o.why, chosen, cost, goal_text(settings)))
        (folder / "scenarios").mkdir(exist_ok=True)
        write_text_atomic(folder / "scenarios" / f"{preset_name}.yaml", text)
        report = report_text(settings, chosen, o.why, baseline, regions, package,
                             len(df) - 1, o.seeds, rerun, meeting_target(df), o.notes)
        info.update(package=package.as_dict(), cost=cost, bought=bought, rerun=rerun)
    else:
        report = nothing_chosen_text(settings, o.why, df, len(o.seeds))
    write_text_atomic(folder / "report.md", report)
    write_text_atomic(folder / "plan.json", dump_json(info))
    print("\n" + report, flush=True)
    print(f"written to {folder}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    parser = argparse.ArgumentParser(
        prog="blackout-sim-plan",
        description="Search the cheapest package of measures (generators, connection points, "
                    "mobile units, fuel trucks, fuel storage, satellite phones, volunteers) "
                    "that meets the 72-hour norm, or the best norm for a budget.")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="plan.<key>=... changes configs/plan; anything else changes the "
                             "scenario as with python -m sim")
    parser.add_argument("--out", type=Path, default=None,
                        help="the plan folder (default: <results_dir>/plans/<name>); an "
                             "existing one with the same settings is resumed")
    parser.add_argument("--preset", default=None, metavar="PACKAGE",
                        help="write this package of trials.csv as the preset and report "
                             "instead of the chosen one (give the plan's command again)")
    args = parser.parse_intermixed_args(argv)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    plan_over, scen_over = split_overrides(args.overrides, "plan")
    guarded(lambda: run_plan(scen_over, plan_over, args.out, args.preset), scen_over,
            "plan")


if __name__ == "__main__":
    main()
