"""The Hydra app: composing configs and presets, the run folder, station policy, sweeps."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import geopandas as gpd
import pyogrio
import pytest
import yaml
from conftest import compose_config, files_under, hydra_compose

from sim.params.validate import prepare
from sim.paths import SCENARIO_DIR
from sim.results.folder import read_table
from sim.results.run import run

#: Every preset, run by test_every_preset_composes_validates_and_runs but those run
#: elsewhere, whole: oost5_default is the default run (the default_run fixture), nederland
#: is test_national's national run, haaksbergen_2005 is run as it is (two seeds) by
#: test_points' small-pool test.
PRESETS = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
RUN_ELSEWHERE = ("haaksbergen_2005", "nederland", "oost5_default")
RUN_FILES = ["config.yaml", "events.parquet", "headline.md", "manifest.json", "region.gpkg",
             "shortfall.csv", "sites.csv", "summary.json",
             "timeseries_municipalities.parquet", "timeseries_points.parquet",
             "timeseries_region.csv", "timeseries_sites.parquet", "vulnerable_cases.parquet"]
#: Drawn from the complete run folder by default (research.gis, research.figures).
DERIVED = ["coverage.gpkg", "figures"]


def test_default_run_writes_a_complete_run_folder(default_run):
    assert sorted(p.name for p in default_run.iterdir()) == sorted([*RUN_FILES, *DERIVED])
    assert default_run.parent.parent.name == "runs"
    # <timestamp with microseconds>
    assert len(default_run.name.split("-")[-1]) == 6


def test_manifest_records_version_seed_and_timings(default_run):
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert manifest["scenario"] == "oost5_default"
    assert manifest["seed"] == 20260115
    assert manifest["package_version"]
    assert manifest["wall_time_s"] >= 0
    assert manifest["started_utc"] <= manifest["finished_utc"]
    assert manifest["events_processed"] > 1000
    assert sorted(manifest["files"]) == RUN_FILES
    assert manifest["derived_files"] == ["coverage.gpkg", "figures/"]
    # The manifest never lists a file that is not there: they are drawn before the
    # folder becomes visible.
    for name in manifest["derived_files"]:
        assert (default_run / name).exists(), name
    assert not list(default_run.parent.glob(".*.partial"))
    assert not (default_run / ".owner").exists()
    assert manifest["git_revision"] is None or len(manifest["git_revision"]["commit"]) == 40


def test_resolved_config_is_written(default_run):
    cfg = yaml.safe_load((default_run / "config.yaml").read_text())
    assert cfg["name"] == "oost5_default" and cfg["outage"]["duration"]["hours"] == 84
    assert "hydra" not in cfg
    # The written config is itself valid input and gives the same region.
    assert len(prepare(cfg).region.municipalities) == 76


def test_summary_counts_the_region(default_run):
    s = json.loads((default_run / "summary.json").read_text())
    total = s["total"]
    assert total["municipalities"] == 76 and total["residents"] == 3_357_147  # CBS, 1 Jan 2025
    assert total["fire_stations"] == 197
    assert (total["fire_stations_with_backup_power"]
            + total["fire_stations_without_backup_power"]) == 197
    assert total["coordination_points"] == 76
    assert total["support_point_candidates"] > 600
    assert sum(r["residents"] for r in s["by_region"].values()) == 3_357_147
    assert s["by_region"]["Twente"]["fire_stations"] == 29
    assert s["network"]["edges_without_shared_border"] == 0
    ind = s["indicators"]
    assert ind["outage"]["duration_h"] == 84 and ind["outage"]["affected_municipalities"] == 76
    # Restored in stages: the last municipality well after the first.
    assert 84 + 24 <= ind["outage"]["last_restoration_h"] <= 84 + 48
    cp = ind["coordination_points_powered_share"]
    assert 0 < cp["min"] < 1
    assert len(cp["every_6h"]) == 29 and cp["every_6h"]["0"] < 1.0  # the outage starts at 0
    assert cp["every_6h"]["24"] == cp["at_h"]["24"] and cp["every_6h"]["168"] == 1.0
    assert ind["fuel"]["deliveries"] > 0 and ind["messages"]["delivered"] > 0


def test_event_log_and_time_series_are_written(default_run):
    import pandas as pd

    events = read_table(default_run, "events")
    assert list(events.columns) == ["time", "kind", "municipality", "site", "value", "detail"]
    assert events["time"].is_monotonic_increasing and events["time"].max() <= 168
    region = pd.read_csv(default_run / "timeseries_region.csv")
    assert len(region) == 169 and region["hour"].tolist() == list(range(169))
    assert region["residents_without_grid_share"].iloc[1] == 1.0
    assert region["residents_without_grid_share"].iloc[-1] == 0.0
    munis = read_table(default_run, "timeseries_municipalities")
    assert len(munis) == 76 * 169
    assert set(munis.columns) >= {"hour", "municipality", "grid", "mobile", "c2000",
                                  "water_pressure", "heating", "payment", "fixed_network"}
    sites = read_table(default_run, "timeseries_sites")
    assert set(sites["source"]) <= {"grid", "fixed", "mobile", "none"}
    # Named, so a planner reads "Brandweerpost Raalte", not only an id.
    assert (sites["name"].str.len() > 0).all() and sites["municipality"].str.match("GM").all()
    raalte = sites.loc[sites["site"] == "FS-GM0177-1", "name"]
    assert len(raalte) == 169 and raalte.eq("Brandweerpost Raalte").all()


def test_run_geopackage_holds_the_validated_layers(default_run):
    gpkg = default_run / "region.gpkg"
    names = sorted(str(r[0]) for r in pyogrio.list_layers(gpkg))
    assert names == sorted(["municipalities", "demand_points", "fire_stations",
                            "support_point_candidates", "regions", "site_results"])
    fs = gpd.read_file(gpkg, layer="fire_stations")
    assert fs.crs.to_epsg() == 28992 and len(fs) == 197


@pytest.mark.parametrize("preset", [p for p in PRESETS if p not in RUN_ELSEWHERE])
def test_every_preset_composes_validates_and_runs(preset):
    cfg = compose_config([f"scenarios={preset}"])
    assert cfg["name"] == preset
    result = run(prepare(cfg))
    assert result.summary["total"]["municipalities"] > 0


def test_the_presets_run_elsewhere_are_presets():
    assert set(RUN_ELSEWHERE) <= set(PRESETS)
    assert compose_config()["name"] == "oost5_default"  # the default run is that preset


def test_preset_overrides_the_defaults():
    cfg = compose_config(["scenarios=bommelerwaard_2007"])
    scenario = prepare(cfg)
    assert set(scenario.region.municipalities["region"]) == {"VGZ"}
    assert set(scenario.affected_codes()) == {"GM0263", "GM0297", "GM1960-T"}
    assert scenario.params.outage.duration.hours == 48


def test_command_line_overrides_beat_presets():
    cfg = compose_config(["scenarios=oost5_long_14d", "outage.duration.hours=200"])
    assert prepare(cfg).params.outage.duration.hours == 200


def test_station_policy_all_and_none(default_cfg):
    default_cfg["stations"]["backup_power"] = "all"
    default_cfg["stations"]["coordination_points"] = "prefer_backup"
    fs = prepare(default_cfg).region.fire_stations
    assert fs["has_backup_power"].all() and (fs["generator_kva"] > 0).all()
    default_cfg["stations"]["backup_power"] = "none"
    fs = prepare(default_cfg).region.fire_stations
    assert not fs["has_backup_power"].any() and (fs["tank_l"] == 0).all()
    assert fs["is_coordination_point"].sum() == 76


def test_station_policy_shares_follow_the_config_and_the_seed(default_cfg):
    default_cfg["stations"]["backup_power"] = "shares"
    default_cfg["stations"]["backup_power_share"] = {"VNOG": 0.5}
    default_cfg["stations"]["coordination_points"] = "prefer_backup"
    a = prepare(default_cfg).region.fire_stations
    share = a.groupby("region")["has_backup_power"].mean()
    assert share["VNOG"] == pytest.approx(0.5, abs=0.01)
    assert share["Twente"] == pytest.approx(0.55, abs=0.02)  # the build's share
    b = prepare(default_cfg).region.fire_stations
    assert a["has_backup_power"].equals(b["has_backup_power"])
    default_cfg["seed"] = 1
    c = prepare(default_cfg).region.fire_stations
    assert not a["has_backup_power"].equals(c["has_backup_power"])
    # Every municipality with a backed-up station has a backed-up coordination point.
    cp = a[a["is_coordination_point"]].set_index("municipality")["has_backup_power"]
    assert cp[a.loc[a["has_backup_power"], "municipality"].unique()].all()


def test_one_backup_share_for_every_region(default_cfg):
    default_cfg["stations"]["backup_share"] = 0.5
    fs = prepare(default_cfg).region.fire_stations
    share = fs.groupby("region")["has_backup_power"].mean()
    assert share.to_numpy() == pytest.approx(0.5, abs=0.02)
    default_cfg["stations"]["backup_share"] = 0.0
    assert not prepare(default_cfg).region.fire_stations["has_backup_power"].any()


def test_budget_cuts_close_small_volunteer_posts_only(default_cfg):
    before = prepare(default_cfg).region.fire_stations
    default_cfg["stations"]["closed_volunteer_posts_share"] = 0.104
    after = prepare(default_cfg).region.fire_stations
    closed = before[~before["id"].isin(after["id"])]
    assert len(closed) == round(0.104 * len(before)) == 20
    assert (closed["crew_professional"] == 0).all()
    assert not closed["is_coordination_point"].any()
    assert set(after["municipality"]) == set(before["municipality"])
    # The smallest volunteer posts went first.
    crew = before["crew_volunteer"] + before["crew_professional"]
    open_volunteer = before[~before["id"].isin(closed["id"]) & (before["crew_professional"] == 0)
                            & ~before["is_coordination_point"]]
    closable = open_volunteer[open_volunteer["municipality"].map(
        after["municipality"].value_counts()) > 1]
    assert crew[closed.index].max() <= crew[closable.index].min()
    assert after["crew_volunteer"].sum() < before["crew_volunteer"].sum()


def test_console_script_is_installed():
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "blackout-sim"]
    # main() then leave without Python's teardown (sim.cli.main.console)
    assert ep.value == "sim.cli.main:console"


def test_sweep_writes_one_folder_per_job(joblib_sweep):
    sweep = joblib_sweep.folder
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert jobs == ["0", "1", "2", "3"]
    swept = [dict(o.split("=", 1) for o in json.loads(
        (sweep / j / "status.json").read_text())["overrides"]) for j in jobs]
    assert [(o["seed"], o["stations.backup_share"]) for o in swept] == [
        ("1", "0.2"), ("1", "-1"), ("2", "0.2"), ("2", "-1")]
    completed = [j for j, o in zip(jobs, swept, strict=True) if o["stations.backup_share"] == "0.2"]
    seeds = [json.loads((sweep / j / "manifest.json").read_text())["seed"] for j in completed]
    assert seeds == [1, 2]
    assert not (sweep.parents[2] / "runs").exists()
    sweep_files = ["multirun.yaml", "jobs.json", "status.json", "sweep_results.csv",
                   "sweep_results.parquet", "sweep_summary.csv", "sweep_summary.parquet",
                   "sweep_areas.csv", "sweep_areas.parquet"]
    # The job's files, its figures, and the sweep's tables and figures (one swept parameter).
    assert all(p.name in [*RUN_FILES, *DERIVED, *sweep_files] or p.parent.name == "figures"
               or (p.parent == sweep and p.name.startswith("figure_"))
               for p in files_under(sweep))
    assert (sweep / "figure_local_points.operational_share.at_h.72.png").stat().st_size > 0
    assert all((sweep / j / "figures" / "coverage_curve.png").stat().st_size > 0
               for j in completed)
    assert all((sweep / j / "status.json").exists() for j in jobs)


@pytest.mark.parametrize("overrides", [
    [], ["seed=3", "region.select.regions=[VGZ,Twente]"],
    ["stations.backup_power=all", "fuel.trucks_per_region.VGZ=1", "outage.duration.hours=200"],
    ["staffing.self_mobilisation_h=null", "stations.backup_share=0.3"],
    ["support_points.activation.policy=phased",
     "support_points.activation.phases=[{share: 0.5, at_h: 6},{share: 0.5, at_h: 30}]"],
    ["outage.waves=[{regions: [VNOG], after: {distribution: fixed, hours: 10}}]",
     "outage.start=2026-07-01T12:00", "comms.dares_regions=[VNOG,Twente]"],
    ["scenarios=twente", "seed=4"],
    ["scenarios=haaksbergen_2005", "seed=3", "staffing.max_duty_hours=8"],
    ["seed=3", "scenarios=oost5_long_14d", "outage.duration.hours=200"],
    ["region.select.regions=[VGZ,Twente]", "power.mobile.per_region.VGZ=30"],
    ["cascade.mobile.backup={distribution: fixed, hours: 0.01, low: null, high: null, "
     "mode: null}", "cascade.operator_generators_share=0"],
    ["fuel.trucks_per_region={default: 3, Gelderland-Midden: 5, vgz: 1}"],
])
def test_the_tests_fast_compose_gives_what_hydra_composes(overrides, monkeypatch):
    import conftest

    expected = hydra_compose(overrides)

    def not_hydra(overrides):
        raise AssertionError(f"the fast path left {overrides} to Hydra")

    monkeypatch.setattr(conftest, "hydra_compose", not_hydra)
    assert conftest.compose_config(overrides) == expected


def test_the_tests_fast_compose_leaves_what_it_cannot_apply_to_hydra():
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match=r"outage\.foo"):
        compose_config(["outage.foo=1"])
    assert compose_config(["+outage.foo=1"])["outage"]["foo"] == 1  # Hydra's own syntax


def test_a_killed_run_leaves_no_visible_folder_and_its_remains_go_next_time(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    from sim.results.folder import OWNER, remove_stale_partials, write_run_folder

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parent = tmp_path / "runs" / "oost5_default"
    killed = parent / ".2026-01-01_00-00-00-000000.partial"
    (killed / "figures").mkdir(parents=True)
    (parent / "2026-01-01_00-00-00-000000").mkdir()  # made by Hydra, left empty
    (killed / "figures" / ".coverage_curve.partial.png").write_bytes(b"half a figure")
    host = socket.gethostname()
    (killed / OWNER).write_text(f"{host} {dead.pid}\n")
    running = parent / ".2026-01-01_00-00-01-000000.partial"  # a parallel job, alive
    running.mkdir()
    (running / OWNER).write_text(f"{host} {os.getpid()}\n")
    other = tmp_path / "runs" / "twente" / ".2026-01-01_00-00-02-000000.partial"
    other.mkdir(parents=True)  # a killed run of another scenario
    (other / OWNER).write_text(f"{host} {dead.pid}\n")
    written = write_run_folder(parent / "2026-01-02_00-00-00-000000", {"a.txt": "x"})
    assert not killed.exists() and running.exists() and not other.exists()
    assert not (parent / "2026-01-01_00-00-00-000000").exists()
    assert sorted(p.name for p in written.iterdir()) == ["a.txt"]
    assert remove_stale_partials(parent) == []


def test_a_failure_while_drawing_leaves_no_run_folder(tmp_path):
    from sim.results.folder import write_run_folder

    def broken(staging):
        (staging / "figures").mkdir()
        raise RuntimeError("drawing failed")

    target = tmp_path / "runs" / "x" / "run1"
    with pytest.raises(RuntimeError):
        write_run_folder(target, {"manifest.json": "{}"}, extra=broken)
    assert not target.exists()
    assert not list(target.parent.glob(".*"))
