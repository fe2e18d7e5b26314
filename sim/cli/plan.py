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
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.cli.main import EXIT_BAD_INPUT, register_configs
from sim.errors import InputError, Problem
from sim.params.reader import renamed
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


def compose_configs(overrides: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario config with ``overrides``, and without any (for the preset's diff)."""
    register_configs()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        given = compose("config", overrides=list(overrides))
        plain = compose("config", overrides=["~scenarios"])
    out = []
    for cfg in (given, plain):
        container = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(container, dict)
        container.pop("hydra", None)
        out.append({str(k): v for k, v in container.items()})
    return out[0], out[1]


def plan_settings(overrides: Sequence[str]) -> PlanSettings:
    """``configs/plan/default.yaml`` with ``plan.`` overrides, validated."""
    cfg = OmegaConf.load(PLAN_DEFAULTS)
    try:
        extra = OmegaConf.from_dotlist([o[len("plan."):] for o in overrides])
    except OmegaConfBaseException as exc:
        raise InputError([Problem("plan", list(overrides), f"cannot be read: {exc}")]) from exc
    merged = OmegaConf.to_container(OmegaConf.merge(cfg, extra), resolve=True)
    assert isinstance(merged, dict)
    return read_plan({str(k): v for k, v in merged.items()})


def _clock(seconds: float) -> str:
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


class Progress:
    """Progress on stderr: runs done of the most expected, elapsed and left."""

    def __init__(self, expected: int) -> None:
        self.expected = max(expected, 1)
        self.done = 0
        self.t0 = time.perf_counter()
        # On a terminal one line is redrawn; piped to a file, a line per 5 % of the runs.
        self.tty = sys.stderr.isatty()
        self.every = max(self.expected // 20, 1)

    def __call__(self, message: str) -> None:
        """Show one message of the search."""
        if ": run " not in message:
            print(("\r" if self.tty else "") + message + (" " * 30 if self.tty else ""),
                  file=sys.stderr, flush=True)
            return
        self.done += 1
        if not self.tty and self.done % self.every and self.done != self.expected:
            return
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * max(self.expected - self.done, 0)
        line = (f"{self.done} of at most {self.expected} model runs, {_clock(elapsed)} "
                f"elapsed, at most {_clock(left)} left ({message})")
        if self.tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            out += _differences(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def plan_name(name: str, regions: Sequence[str]) -> str:
    """The plan's name: the scenario's, with the regions when there are few."""
    return f"{name}_{'-'.join(sorted(regions))}" if len(regions) <= 3 else name


def run_plan(scenario_overrides: Sequence[str], plan_overrides: Sequence[str],
             out: Path | None, preset: str | None = None) -> Path:
    """Compose, validate, search and write; return the plan folder."""
    settings = plan_settings(plan_overrides)
    given, plain = compose_configs(scenario_overrides)
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
    state_path = folder / "plan_state.json"
    if state_path.exists():
        old = json.loads(state_path.read_text(encoding="utf-8"))
        if old != state:
            differ = _differences(old, state)
            raise InputError([Problem("--out", str(folder),
                                      "holds a plan made with other settings ("
                                      + ", ".join(differ[:6]) + ("..." if len(differ) > 6
                                                                 else "")
                                      + "); give another --out, or remove the folder to "
                                      "start again")])
        print(f"resuming the plan in {folder}", file=sys.stderr)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(state_path, dump_json(state))
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
    plan_over = [o for o in args.overrides if o.lstrip("+~").startswith("plan.")]
    scen_over = [o for o in args.overrides if o not in plan_over]
    moved = renamed(scen_over)
    if moved:
        print("error: invalid input:\n" + "\n".join(f"  - {m}" for m in moved),
              file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    try:
        run_plan(scen_over, plan_over, args.out, args.preset)
    except KeyboardInterrupt:
        print("\nstopped: the model runs that ended are kept in the plan folder; give the "
              "same command again to continue", file=sys.stderr)
        sys.exit(130)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except (HydraException, OmegaConfBaseException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
