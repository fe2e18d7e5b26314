"""blackout-sim-plan: pre-screen, packages, costs, search, frontier, preset, resumption."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import Called, call_main, compose_config, files_under, shared
from omegaconf import OmegaConf

from sim.errors import InputError
from sim.params.validate import prepare
from sim.plan.package import Package, total
from sim.plan.propose import refinements
from sim.plan.screen import (
    coverage_matrix,
    designate,
    fill_by_population,
    greedy_cover,
    max_cover_exact,
    screen,
)
from sim.plan.search import NORM_TIE, choose, frontier
from sim.plan.settings import read_plan
from sim.plan.space import Space, assured, uniform
from sim.results.batch import EvaluationStore, merged, run_once
from sim.results.run import run
from sim.results.shortfall import shortfall_table

PLAN_DEFAULTS = Path(__file__).resolve().parents[1] / "configs" / "plan" / "default.yaml"
SMALL = ["region.select.regions=[IJsselland]"]
#: A shorter scenario for the commands that do not read the shared plan: 80 h are enough
#: for the 72-hour norm (the shared plan keeps the full week its choices are checked for).
SHORT = [*SMALL, "horizon_h=80"]
SMALL_PLAN = ["plan.seeds=2", "plan.trials=8", "plan.batch=4", "plan.budget_eur=4e5"]


def plan_defaults() -> dict[str, Any]:
    cfg = OmegaConf.to_container(OmegaConf.load(PLAN_DEFAULTS))
    assert isinstance(cfg, dict)
    return cfg


def run_plan_cli(args: list[str], out: Path, cwd: Path,
                 timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim.cli.plan", *args, "--out", str(out),
                           f"results_dir={cwd / 'results'}"],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


def plan_main(args: list[str], out: Path, cwd: Path,
              capsys: pytest.CaptureFixture[str]) -> Called:
    """The same command as :func:`run_plan_cli`, through its main() in this process."""
    from sim.cli.plan import main

    return call_main(main, [*args, "--out", str(out), f"results_dir={cwd / 'results'}"],
                     capsys)


# --- the static pre-screen ---------------------------------------------------------------


def random_instance(seed: int, n_d: int = 40, n_s: int = 14) -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10_000, size=(n_d, 2))
    sites = rng.uniform(0, 10_000, size=(n_s, 2))
    return coverage_matrix(demand, sites, km=3.0, detour=1.3), rng.integers(1, 500, n_d) * 1.0


@pytest.mark.parametrize("seed", range(6))
def test_greedy_cover_is_within_the_guarantee_of_the_exact_optimum(seed: int) -> None:
    cover, weight = random_instance(seed)
    order, covered = greedy_cover(cover, weight)
    assert len(set(order.tolist())) == len(order)
    assert np.all(np.diff(covered) > 0)  # every added site adds residents
    for p in range(1, len(order) + 1):
        best = max_cover_exact(cover, weight, p)
        assert covered[p - 1] <= best + 1e-6
        assert covered[p - 1] >= (1 - 1 / np.e) * best - 1e-6
    # One site: greedy is exact.
    assert covered[0] == pytest.approx(max_cover_exact(cover, weight, 1))
    # All useful sites cover everything any set can.
    assert covered[-1] == pytest.approx(weight[np.asarray(cover.sum(axis=1)).ravel() > 0].sum())


def test_greedy_cover_gives_every_group_a_site_first() -> None:
    cover, weight = random_instance(3)
    group = np.array(["a", "b", "c"] * 4 + ["d", "d"])
    order, _ = greedy_cover(cover, weight, group)
    assert sorted(group[order[:4]].tolist()) == ["a", "b", "c", "d"]


def test_designate_takes_the_shortest_prefix_that_reaches_the_cover() -> None:
    order = np.arange(5)
    covered = np.array([40.0, 70.0, 85.0, 95.0, 97.0])
    assert designate(order, covered, groups=1, total=100.0, min_cover=0.9) == 4
    assert designate(order, covered, groups=1, total=100.0, min_cover=0.7) == 2
    assert designate(order, covered, groups=3, total=100.0, min_cover=0.5) == 3  # municipalities
    assert designate(order, covered, groups=1, total=100.0, min_cover=0.99) == 5  # all it can


def test_density_fill_gives_the_next_point_to_the_most_residents_per_point() -> None:
    municipality = np.array(["A", "A", "A", "B", "B", "C"])
    capacity = np.array([50.0, 300.0, 100.0, 80.0, 90.0, 10.0])
    population = {"A": 30_000.0, "B": 12_000.0, "C": 1_000.0}
    # A has site 0 already: 30,000/2 = 15,000 > B 12,000/1 -> A's largest left (1), then
    # B (12,000) > A 10,000 -> B's largest (4); then A (10,000), B (6,000), C last.
    assert fill_by_population([0], municipality, capacity, population) == [1, 4, 2, 3, 5]
    assert designate(np.arange(2), np.array([60.0, 90.0]), groups=1, total=100.0,
                     min_cover=0.5, at_least=4, available=6) == 4


@pytest.fixture(scope="module")
def small() -> tuple[dict[str, Any], Any]:
    cfg = compose_config(SMALL)
    return cfg, prepare(cfg)


def test_screen_designates_a_point_in_every_municipality_and_reaches_the_cover(small) -> None:
    _cfg, base = small
    sc = screen(base, 0.9)
    (rs,) = sc.regions.values()
    cand = base.region.support_point_candidates.set_index("id")
    municipalities = set(base.region.municipalities["code"])
    assert set(cand.loc[list(rs.points), "municipality"]) == municipalities
    assert rs.cover >= min(0.9, rs.cover_all) - 1e-9
    assert len(rs.points) < len(cand)  # fewer, equipped points instead of every building
    smaller = screen(base, 0.5).regions[rs.region]
    assert len(smaller.points) < len(rs.points)
    assert rs.points[:len(smaller.points)] == smaller.points  # nested
    # A point per 5,000 residents: about residents / 5,000 points, still nested.
    dense = screen(base, 0.9, 5000).regions[rs.region]
    expected = min(round(rs.residents / 5000), len(cand))
    assert len(dense.points) == max(expected, len(rs.points))
    assert dense.points[:len(rs.points)] == rs.points


# --- packages: config and cost -----------------------------------------------------------


def test_package_cost_counts_each_unit_once(small) -> None:
    _cfg, base = small
    settings = read_plan(plan_defaults())
    sc = screen(base, 0.9)
    (r,) = sc.regions
    rs = sc.regions[r]
    bare = [p for p in rs.points if p not in sc.powered_points]
    c = settings.costs
    pkg = Package(fixed_share={r: 0.5}, station_share={r: 1.0}, mobile_extra={r: 2},
                  trucks_extra={r: 1}, autonomy_h=8.0, satellite=True, volunteers_per_100k=20)
    cost = pkg.cost(sc, base.params, c)[r]
    n_fixed = round(0.5 * len(bare))
    assert cost["point_generators"] == n_fixed * c.point_generator_eur
    assert cost["connection_points"] == (len(bare) - n_fixed) * c.connection_point_eur
    assert cost["station_generators"] == len(rs.stations) * c.station_generator_eur
    assert cost["mobile_generators"] == 2 * c.mobile_generator_eur
    assert cost["fuel_trucks"] == c.fuel_truck_eur_per_year
    assert cost["satellite_phones"] == rs.coordination_points * c.satellite_phone_eur
    assert cost["volunteers"] == pytest.approx(20 * rs.residents / 1e5 * c.volunteer_eur)
    assert cost["generator_upkeep"] == ((n_fixed + len(rs.stations) + 2)
                                        * c.generator_upkeep_eur_per_year)
    # Longer autonomy buys storage: 72 h of a 25 kVA set (6 L/h) instead of its 8 h tank.
    longer = Package(**{**pkg.__dict__, "autonomy_h": 72.0})
    extra = longer.cost(sc, base.params, c)[r]["fuel_storage"]
    assert extra >= n_fixed * (72 - 8) * 6.0 * c.fuel_storage_eur_per_l - 1e-6
    none = uniform((r,), 0.0, 0.0, 0, 0, 8.0)
    assert total(none.cost(sc, base.params, c)) == len(bare) * c.connection_point_eur


def test_generators_at_every_point_remove_no_generator_as_a_cause(small) -> None:
    cfg, base = small
    sc = screen(base, 0.9)
    (r,) = sc.regions
    before = shortfall_table(run(base).model, {c: r for c in base.region.municipalities["code"]})
    assert before.loc[before["cause"] == "no_generator", "point_hours"].sum() > 0
    pkg = uniform((r,), 1.0, 0.0, 0, 0, 8.0)
    scenario = prepare(merged(cfg, pkg.overrides(sc, base.params)))
    result = run(scenario)
    table = shortfall_table(result.model, {c: r for c in base.region.municipalities["code"]})
    local = table[table["kind"] == "local_point"] if "kind" in table else table
    assert local.loc[local["cause"] == "no_generator", "point_hours"].sum() == 0
    assert sorted(result.model.planned_points) == sorted(sc.regions[r].points)
    # And the norm rises from the scenario as given (where help from outside already
    # brings some mobile generators) to nearly every point.
    after = run_once(cfg, pkg.overrides(sc, base.params), base.params.seed)
    given = run_once(cfg, {}, base.params.seed)
    assert after["all"]["norm_72h_share"] > given["all"]["norm_72h_share"] + 0.1
    assert after["all"]["norm_72h_share"] >= 0.95


def test_frontier_keeps_only_packages_no_other_beats() -> None:
    df = pd.DataFrame({"package": list("abcde"), "cost_eur": [0, 10, 10, 20, 30],
                       "norm_assured": [0.1, 0.5, 0.4, 0.45, 0.9], "norm_mean": [0.1] * 5})
    assert frontier(df)["package"].tolist() == ["a", "b", "e"]
    assert assured([0.9, 0.8, 0.7, 0.6], 0.75) == 0.7
    assert assured([0.9, 0.8, 0.7, 0.6], 1.0) == 0.6
    assert assured([0.9, 0.8, 0.7, 0.6], 0.25) == 0.9


def test_choice_by_target_by_budget_and_by_coordination_points() -> None:
    df = pd.DataFrame({
        "package": ["baseline", "a", "b", "c", "d"],
        "cost_eur": [0.0, 1e6, 2e6, 2.1e6, 5e6],
        "norm_assured": [0.05, 0.5, 0.91, 0.913, 0.99],
        "norm_mean": [0.05, 0.5, 0.92, 0.92, 0.99],
        "coordination_points_functional_share": [0.5, 0.5, 0.5, 0.95, 0.95]})
    settings = read_plan(plan_defaults())
    assert choose(df, settings)[0] == "b"  # the cheapest at 90 %
    with_budget = dataclasses.replace(settings, budget_eur=3e6)
    assert choose(df, with_budget)[0] == "b"  # c is better by less than a tie, and dearer
    assert choose(df, dataclasses.replace(settings, budget_eur=5e6))[0] == "d"
    assert choose(df, dataclasses.replace(settings, coordination_points=0.9))[0] == "c"
    assert choose(df, dataclasses.replace(settings, budget_eur=5e5))[0] == "baseline"
    unmet = dataclasses.replace(settings, norm=0.999)
    key, why, met = choose(df, unmet)
    assert key == "d" and "not met" in why and not met
    assert choose(df, settings)[2]


def test_space_round_trips_and_moves_one_lever_one_step() -> None:
    settings = read_plan(plan_defaults())
    space = Space(("A", "B"), settings)
    pkg = Package(fixed_share={"A": 0.3, "B": 1.0}, station_share={"A": 0.0, "B": 0.5},
                  mobile_extra={"A": 0, "B": 2}, trucks_extra={"A": 1, "B": 0},
                  autonomy_h=24.0, satellite=False, volunteers_per_100k=20.0)
    assert space.package_of(space.params_of(pkg)) == pkg
    down, up = space.moves(pkg, -1), space.moves(pkg, +1)
    base = space.params_of(pkg)
    for moved, sign in [(m, -1) for m in down] + [(m, +1) for m in up]:
        diff = {k: v - base[k] for k, v in space.params_of(moved).items() if v != base[k]}
        assert list(diff.values()) == [sign]
    # Levers at their bounds cannot move past them.
    assert not any(m.fixed_share["B"] > 1.0 for m in up)
    assert not any(m.mobile_extra["A"] < 0 for m in down)
    # At a bound: fixed.B (top), stations.A, mobile.A, trucks.B and satellite (bottom).
    assert len(down) + len(up) == 2 * len(space.bounds()) - 5


def test_refinements_step_down_from_the_incumbent_and_up_from_the_best_below() -> None:
    settings = read_plan(plan_defaults())
    space = Space(("A",), settings)
    cheap = uniform(("A",), 0.5, 0.0, 0, 0, 8.0)
    good = uniform(("A",), 1.0, 0.0, 0, 0, 48.0)
    scores = pd.DataFrame({"package": [cheap.key, good.key], "cost_eur": [1e6, 2e6],
                           "norm_assured": [0.5, 0.95],
                           "coordination_points_functional_share": [0.5, 0.5]})
    packages = {cheap.key: cheap, good.key: good}
    out = refinements(scores, packages, space, settings, lambda p: 0.0, packages, 100)
    keys = {p.key for p in out}
    assert {m.key for m in space.moves(good, -1)} <= keys  # cheaper than the incumbent?
    assert {m.key for m in space.moves(cheap, +1)} <= keys  # better than the best below?
    assert not keys & set(packages)
    assert len(refinements(scores, packages, space, settings, lambda p: 0.0, packages, 3)) == 3
    # With a budget, no step up that breaks it.
    budget = dataclasses.replace(settings, budget_eur=1.5e6)
    ups = refinements(scores, packages, space, budget, lambda p: 2e6, packages, 100)
    assert all(p.key in {m.key for m in space.moves(cheap, -1)} for p in ups)


# --- bad input ---------------------------------------------------------------------------


def test_bad_plan_settings_name_every_problem() -> None:
    cfg = plan_defaults()
    cfg["target"]["norm"] = 1.5
    cfg["costs"]["mobile_generator_eur"] = -1
    cfg["levers"]["autonomy_h"] = []
    cfg["seedz"] = 3
    with pytest.raises(InputError) as err:
        read_plan(cfg)
    fields = err.value.fields()
    for f in ("plan.target.norm", "plan.costs.mobile_generator_eur", "plan.levers.autonomy_h",
              "plan.seedz"):
        assert f in fields


def test_unknown_site_ids_in_a_package_are_bad_input() -> None:
    cfg = compose_config(["region.select.regions=[IJsselland]",
                          "stations.add_backup=[FS-NOPE-1]",
                          "support_points.add_generators=[SP-NOPE-1]"])
    with pytest.raises(InputError) as err:
        prepare(cfg)
    assert {"stations.add_backup", "support_points.add_generators"} <= set(err.value.fields())


def test_plan_cli_rejects_bad_input_and_writes_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input exits 2 before anything is written (in this process: the same main())."""
    out = tmp_path / "plan"

    def command(*args: str) -> tuple[int, str]:
        proc = plan_main([*SMALL, *args], out, tmp_path, capsys)
        return proc.returncode, proc.stderr

    code, err = command("plan.target.norm=2", "plan.costs.volunteer_eur=x")
    assert code == 2
    assert "plan.target.norm" in err and "plan.costs.volunteer_eur" in err
    assert not out.exists() and not (tmp_path / "results").exists()
    # A scenario key Hydra does not know, and a site id the region does not have.
    for bad, named in (("stations.nope=1", "nope"), ("stations.add_backup=[FS-X]",
                                                     "stations.add_backup")):
        code, err = command(bad)
        assert code == 2 and named in err, err
        assert not out.exists() and not (tmp_path / "results").exists()


# --- the whole command -------------------------------------------------------------------


@pytest.fixture(scope="session")
def small_plan(shared_root: Path) -> Path:
    def make(folder: Path) -> None:
        proc = run_plan_cli([*SMALL, *SMALL_PLAN], folder / "plan", folder)
        assert proc.returncode == 0, proc.stderr
        (folder / "stdout.txt").write_text(proc.stdout)
    return shared(shared_root, "small_plan", make) / "plan"


@pytest.mark.slow
def test_plan_writes_a_frontier_and_a_preset_within_budget(small_plan: Path) -> None:
    info = json.loads((small_plan / "plan.json").read_text())
    trials = pd.read_csv(small_plan / "trials.csv")
    front = pd.read_csv(small_plan / "frontier.csv")
    assert info["chosen"] != "baseline"
    chosen = trials[trials["package"] == info["chosen"]].iloc[0]
    assert chosen["cost_eur"] <= 4e5
    # Nothing within the budget has a better assured norm (by more than a tie).
    best = trials.loc[trials["cost_eur"] <= 4e5, "norm_assured"].max()
    assert best - NORM_TIE <= chosen["norm_assured"] <= best
    assert chosen["norm_mean"] > trials.loc[trials["package"] == "baseline", "norm_mean"].iloc[0]
    assert front["cost_eur"].is_monotonic_increasing
    assert front["norm_assured"].is_monotonic_increasing
    for f in ("frontier.png", "frontier.svg", "report.md", "regions.csv"):
        assert (small_plan / f).stat().st_size > 0
    preset = yaml.safe_load(next((small_plan / "scenarios").glob("plan_*.yaml")).read_text())
    assert preset["support_points"]["activation"]["policy"] == "priority"
    assert total(info["cost"]) == pytest.approx(chosen["cost_eur"])


@pytest.mark.slow
def test_the_preset_reruns_to_the_reported_norm(small_plan: Path, tmp_path: Path) -> None:
    info = json.loads((small_plan / "plan.json").read_text())
    (preset,) = (small_plan / "scenarios").glob("plan_*.yaml")
    seed = info["seeds"][1]
    proc = subprocess.run([sys.executable, "-m", "sim", "--config-dir", str(small_plan),
                           f"scenarios={preset.stem}", f"seed={seed}",
                           f"results_dir={tmp_path}", "research.figures=false",
                           "research.gis=false"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (summary,) = (tmp_path / "runs").glob("*/*/summary.json")
    norm = json.loads(summary.read_text())["indicators"]["all_regions"]["norm_72h_share"]
    chosen = info["chosen_results"]
    assert chosen["norm_min"] <= norm <= chosen["norm_max"]
    assert norm == pytest.approx(chosen[f"norm_seed_{seed}"])


@pytest.mark.slow
def test_an_interrupted_plan_resumes_to_the_same_frontier_and_serial_equals_parallel(
        small_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    resumed = tmp_path / "resumed"
    shutil.copytree(small_plan, resumed)
    for f in files_under(resumed):
        if f.name not in ("evaluations.jsonl", "plan_state.json"):
            f.unlink()
    lines = (resumed / "evaluations.jsonl").read_text().splitlines()
    kept = len(lines) // 2
    # Stopped mid-search: half the runs stored, the last line cut short.
    (resumed / "evaluations.jsonl").write_text("\n".join(lines[:kept]) + "\n"
                                               + lines[kept][:40])
    # Resumed on one process (the plan was made on two): the other half of the runs,
    # and so the search's later batches, must come out as they did in parallel.
    proc = run_plan_cli([*SMALL, *SMALL_PLAN, "plan.jobs=1"], resumed, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr
    assert "on 1 processes" in proc.stderr
    here = EvaluationStore(resumed / "evaluations.jsonl").results
    there = EvaluationStore(small_plan / "evaluations.jsonl").results
    assert here.keys() == there.keys()
    assert here == there
    for f in ("trials.csv", "frontier.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(resumed / f), pd.read_csv(small_plan / f))
    # Other settings for an existing folder are refused, and nothing is changed.
    before = {f: f.read_bytes() for f in files_under(resumed)}
    proc = plan_main([*SMALL, *SMALL_PLAN, "plan.seeds=3"], resumed, tmp_path, capsys)
    assert proc.returncode == 2 and "other settings" in proc.stderr
    assert {f: f.read_bytes() for f in files_under(resumed)} == before


@pytest.mark.slow
def test_any_package_can_be_written_as_a_preset_and_a_report_names_the_trade_offs(
        small_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = (small_plan / "report.md").read_text()
    for words in ("of any open point", "harmed", "as given", "configs/plan/default.yaml"):
        assert words in report
    trials = pd.read_csv(small_plan / "trials.csv")
    assert {"fixed_share.IJsselland", "autonomy_h", "meets_target", "chosen",
            "on_frontier"} <= set(trials.columns)
    other = trials[(trials["package"] != "baseline") & ~trials["chosen"]].iloc[0]["package"]
    copy = tmp_path / "copy"
    shutil.copytree(small_plan, copy)
    runs = (copy / "evaluations.jsonl").read_text()
    proc = plan_main([*SMALL, *SMALL_PLAN, "--preset", other], copy, tmp_path, capsys)
    assert proc.returncode == 0, proc.stderr
    assert (copy / "evaluations.jsonl").read_text() == runs  # nothing run again
    info = json.loads((copy / "plan.json").read_text())
    assert info["chosen"] == other and "--preset" in info["why"]
    proc = plan_main([*SMALL, *SMALL_PLAN, "--preset", "nope"], copy, tmp_path, capsys)
    assert proc.returncode == 2 and "--preset" in proc.stderr


@pytest.mark.slow
def test_a_budget_nothing_fits_says_so_and_writes_no_preset(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan"
    proc = plan_main([*SHORT, "plan.seeds=1", "plan.trials=4", "plan.batch=4",
                      "plan.budget_eur=1000", "plan.jobs=1"], out, tmp_path, capsys)
    assert proc.returncode == 0, proc.stderr
    assert "no package found fits the budget" in proc.stdout
    assert "Try a larger budget" in (out / "report.md").read_text()
    assert json.loads((out / "plan.json").read_text())["rerun"] is None
    assert not (out / "scenarios").exists()


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_same_command_continues(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import signal
    import time

    out = tmp_path / "plan"
    # A small search (4 packages x 2 seeds + the scenario as given: 10 runs) on one
    # process, stopped once 3 runs are stored: the rest is left for the same command.
    plan = [*SHORT, "plan.seeds=2", "plan.trials=4", "plan.batch=4", "plan.jobs=1"]
    args = [sys.executable, "-m", "sim.cli.plan", *plan,
            "--out", str(out), f"results_dir={tmp_path / 'results'}"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    store = out / "evaluations.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not store.exists()
                                           or len(store.read_text().splitlines()) < 3):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "give the same command again to continue" in err
    assert "Traceback" not in err
    kept = len(store.read_text().splitlines())
    assert kept >= 3
    again = plan_main(plan, out, tmp_path, capsys)  # the same command (its main(), here)
    assert again.returncode == 0 and "resuming" in again.stderr
    assert (out / "report.md").exists()
