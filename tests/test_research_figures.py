"""Researchers' maps, curves and timelines: what they show, that they are written, the command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TWENTE_96, call_main, files_under, run_cli, shared_sweep
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from sim.cli.figures import main as figures_main
from sim.errors import InputError
from sim.research.coverage import OPEN
from sim.research.curves import RunCurves, coverage_curve, timeline_figure
from sim.research.figures import (
    default_config,
    draw_run,
    draw_runs,
    hour_of,
    hours_in,
    same_value,
    scenario_labels,
    select,
    settings_from,
)
from sim.research.layers import (
    RunLayers,
    activation_timeline,
    gis_layers,
    load_run_layers,
    point_status,
    run_coverage,
    vulnerable_not_reached,
    vulnerable_reached_over_time,
)
from sim.research.maps import (
    add_north_arrow,
    add_scale_bar,
    coverage_difference,
    draw_polygons,
    nice_length,
    polygon_path,
    uncovered_share,
)

#: A small run: Twente, four days.
SCOPE = TWENTE_96
#: Figures every run draws by default (the timeline's municipality is added per run;
#: outside_help where help from outside was asked for, as Twente alone always does).
RUN_FIGURES = ["coverage_curve", "coverage_map_72h", "coverage_small_multiples",
               "outside_help", "points_curve", "shortfall_causes",
               "vulnerable_not_reached_map", "vulnerable_reached_curve"]


@pytest.fixture(scope="module")
def run_folder(twente_folder) -> Path:
    return twente_folder


@pytest.fixture(scope="module")
def run(run_folder) -> RunLayers:
    return load_run_layers(run_folder)


@pytest.fixture(scope="module")
def sweep_folder(shared_root, tmp_path_factory) -> Path:
    """Two seeds with and without generators at the local points; no figures per job.

    A copy of the session's sweep: the tests draw into the sweep folder.
    """
    sweep = shared_sweep(shared_root, "research_sweep", [
        *SCOPE, "seed=1,2", "support_points.backup_power=none,all", "research.figures=false",
        "research.gis=false"])
    assert sweep.returncode == 0, sweep.stderr
    folder = tmp_path_factory.mktemp("research_sweep") / sweep.folder.name
    shutil.copytree(sweep.folder, folder)
    return folder


def png_size(path: Path) -> tuple[int, int]:
    height, width = mpimg.imread(path).shape[:2]
    return width, height


# --- after every run, by default ------------------------------------------------------------

def test_every_run_draws_its_figures_and_gis_layers(run_folder, run):
    names = sorted(p.name for p in (run_folder / "figures").iterdir())
    timeline = [n for n in names if n.startswith("activation_timeline_GM")]
    assert len(timeline) == 2  # png and svg
    municipality = timeline[0].removeprefix("activation_timeline_").split(".")[0]
    assert municipality in set(run.events.loc[run.events["kind"] == "point_activated",
                                              "municipality"])
    expected = sorted(f"{stem}.{ext}" for stem in [*RUN_FIGURES,
                                                   f"activation_timeline_{municipality}"]
                      for ext in ("png", "svg"))
    assert names == expected
    for name in names:
        path = run_folder / "figures" / name
        assert path.stat().st_size > 10_000, name
        if name.endswith(".svg"):
            assert ET.parse(path).getroot().tag.endswith("svg")
        else:
            width, height = png_size(path)
            assert width > 800 and height > 500, (name, width, height)
    layers = gpd.list_layers(run_folder / "coverage.gpkg")["name"].tolist()
    assert sorted(layers) == ["demand_points", "municipalities", "support_points"]
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["derived_files"] == ["coverage.gpkg", "figures/"]


def test_figures_scale_with_the_resolution_asked_for(run_folder, tmp_path):
    # The run drew its figures at the configured resolution; drawn again at half of it,
    # each has half the pixels each way (laid out at a fixed size; sizes are whole pixels).
    import yaml

    dpi = yaml.safe_load((run_folder / "config.yaml").read_text())["research"]["dpi"]
    assert dpi >= 100 and dpi % 2 == 0
    figures_main([str(run_folder), "--out", str(tmp_path / "lo"), "formats=[png]",
                  f"dpi={dpi // 2}", "gis=false"])
    for stem in RUN_FIGURES:
        lo = png_size(tmp_path / "lo" / f"{stem}.png")
        full = png_size(run_folder / "figures" / f"{stem}.png")
        assert all(abs(f - 2 * h) <= 1 for f, h in zip(full, lo, strict=True)), (stem, lo, full)
    assert not list((tmp_path / "lo").glob("*.svg"))
    assert not (tmp_path / "lo" / "coverage.gpkg").exists()


def test_the_command_redraws_at_another_hour_without_running_the_model(run_folder, tmp_path):
    before = (run_folder / "events.parquet").stat().st_mtime_ns
    proc = subprocess.run([sys.executable, "-m", "sim.cli.figures", str(run_folder),
                           "map_hour=48", "formats=[svg]", "timeline_municipality=GM0153",
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"coverage_map_48h.svg", "activation_timeline_GM0153.svg", "coverage.gpkg"} <= names
    assert "coverage_map_72h.svg" not in names
    assert (run_folder / "events.parquet").stat().st_mtime_ns == before


@pytest.mark.parametrize(("setting", "field"), [
    ("map_hour=-3", "research.map_hour"),
    ("covering=walking", "research.covering"),
    ("formats=[png,gif]", "research.formats"),
    ("timeline_municipality=GM9999", "research.timeline_municipality"),
    ("dpi=5000", "research.dpi"),
    ("colour=red", "research.colour"),
])
def test_bad_settings_are_named_and_nothing_is_written(run_folder, tmp_path, setting, field,
                                                      capsys):
    proc = call_main(figures_main, [str(run_folder), setting, "--out", str(tmp_path / "out")],
                     capsys)
    assert proc.returncode == 2
    assert field in proc.stderr and setting.split("=")[1].split(",")[-1].strip("[]") \
        in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_research_setting_stops_the_run_before_anything_is_written(tmp_path):
    results = tmp_path / "results"
    proc = run_cli([*SCOPE, "research.covering=walking"], results)
    assert proc.returncode == 2
    assert "research.covering" in proc.stderr and "walking" in proc.stderr
    assert files_under(results) == []


def test_several_run_folders_need_somewhere_to_go(run_folder, capsys):
    proc = call_main(figures_main, [str(run_folder), str(run_folder)], capsys)
    assert proc.returncode == 2 and "--out" in proc.stderr
    assert sorted(p.name for p in (run_folder / "figures").iterdir())[0].endswith(
        (".png", ".svg"))


def test_a_folder_without_runs_is_refused(tmp_path, capsys):
    proc = call_main(figures_main, [str(tmp_path)], capsys)
    assert proc.returncode == 2 and "holds no run folder" in proc.stderr


# --- what the maps and curves show ----------------------------------------------------------

def fake_run(events: list[tuple], candidates: list[str], horizon: float = 24.0) -> RunLayers:
    frame = pd.DataFrame(events, columns=["time", "kind", "municipality", "site", "value",
                                          "detail"])
    cands = gpd.GeoDataFrame({"id": candidates, "name": candidates,
                              "municipality": ["GM0001"] * len(candidates)},
                             geometry=[shapely.Point(i * 1000.0, 0) for i in
                                       range(len(candidates))], crs=28992)
    empty = gpd.GeoDataFrame(geometry=[], crs=28992)
    municipalities = gpd.GeoDataFrame({"code": ["GM0001"], "name": ["Testdorp"],
                                       "population": [1000]},
                                      geometry=[shapely.box(-500, -500, 5000, 500)], crs=28992)
    return RunLayers(folder=Path("."), config={"horizon_h": horizon, "name": "t", "seed": 1,
                                               "support_points": {"operational_deadline_h": 12}},
                     events=frame, cases=pd.DataFrame(), municipalities=municipalities,
                     regions=empty,
                     demand_points=empty, fire_stations=empty, candidates=cands,
                     point_series=pd.DataFrame(), region_series=pd.DataFrame())


def test_point_status_follows_the_activation_chain():
    m = "GM0001"
    run = fake_run([
        (2.0, "point_activated", m, "A", 0, ""),
        (2.0, "point_activated", m, "B", 0, ""),
        (5.0, "point_state", m, "A", 0.5, "open_reduced"),
        (8.0, "point_state", m, "A", 1.0, "open_full"),
        (10.0, "point_state", m, "A", 0.0, "out_of_supplies"),
    ], ["A", "B", "C"])
    status = point_status(run, np.array([1.0, 3.0, 5.0, 9.0, 12.0]))
    assert status["A"].tolist() == ["not_activated", "opening", "open_reduced", "open_full",
                                    "closed"]
    assert status["B"].tolist() == ["not_activated", *["never_opened"] * 4]
    assert status["C"].tolist() == ["not_activated"] * 5


def test_redrawing_into_the_run_folder_replaces_the_old_figures(run_folder, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    stray = copy / "figures" / "notes.txt"
    stray.write_text("mine")
    settings = settings_from({**default_config(), "map_hour": 48, "formats": ["png"]})
    draw_run(copy, settings)
    names = {p.name for p in (copy / "figures").iterdir()}
    assert "coverage_map_48h.png" in names
    assert not any(n.startswith("coverage_map_72h") or n.endswith(".svg") for n in names)
    assert stray.read_text() == "mine"  # only figures are replaced


def test_only_municipalities_that_lose_power_count(run):
    import dataclasses

    e = run.events
    spared = "GM0153"
    events = e[~((e["kind"] == "grid") & (e["municipality"] == spared))]
    partial = dataclasses.replace(run, events=events)
    assert spared in run.affected and spared not in partial.affected
    assert not any(s.startswith(f"FS-{spared}") for s in partial.coordination_points)
    cov = run_coverage(partial, OPEN, np.array([24.0, 72.0]))
    assert spared not in set(cov.municipality)
    share = uncovered_share(cov, 72.0)
    assert spared not in share.index and share.between(0, 1).all()
    layers = gis_layers(partial)
    dp = layers["demand_points"]
    mine = dp["municipality"] == spared
    assert (~dp.loc[mine, "affected"]).all() and dp.loc[mine, "hours_uncovered"].isna().all()
    assert dp.loc[~mine, "hours_uncovered"].notna().all()
    # whole hours weigh one hour each up to the horizon: at most the horizon uncovered
    assert dp["hours_uncovered"].max() <= run.horizon_h
    m = layers["municipalities"].set_index("code")
    assert np.isnan(m.loc[spared, "covered_share_72"])


def test_hours_past_the_end_of_a_short_run_are_left_out_or_brought_back():
    run = fake_run([], ["A"], horizon=30.5)
    assert hours_in(run, [12, 24, 48, 72, 96]) == [12.0, 24.0]
    assert hour_of(run, 72) == 30.0 and hour_of(run, 12.7) == 12.0


def test_activation_timeline_lanes_match_the_records():
    m = "GM0001"
    run = fake_run([
        (0.0, "site_power", m, "A", 0, "none"),
        (1.0, "point_activated", m, "A", 0, ""),
        (1.0, "staff_on_duty", m, "LP-A", 2, "4:1:4"),
        (2.0, "staff_on_duty", m, "LP-A", 4, "4:1:4"),
        (2.5, "key_holder", m, "A", 1.5, ""),
        (3.0, "point_state", m, "A", 0.5, "open_reduced"),
        (6.0, "site_power", m, "A", 1, "mobile"),
        (6.0, "point_state", m, "A", 1.0, "open_full"),
        (20.0, "staff_on_duty", m, "LP-A", 0, "4:0:4"),
        (20.0, "point_state", m, "A", 0.0, "closed"),
        (1.0, "point_activated", "GM0002", "Z", 0, ""),
    ], ["A", "Z"])
    markers, bars = activation_timeline(run, m)
    assert markers.set_index("event")["time"].to_dict() == {"decision": 1.0, "key holder": 2.5}
    got = {(r.lane, r.state): (r.start, r.end) for r in bars.itertuples()}
    assert got == {("power", "mobile"): (6.0, 24.0), ("staff", "staffed"): (2.0, 20.0),
                   ("open", "open_reduced"): (3.0, 6.0), ("open", "open_full"): (6.0, 20.0)}
    fig = timeline_figure(run, m)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A (A)"]
    assert "Testdorp (1 points)" in fig.axes[0].get_title()


def test_vulnerable_curves_and_map_count_the_cases(run):
    c = run.cases
    at = np.array([0.0, 24.0, 48.0, 96.0])
    curve = vulnerable_reached_over_time(run, at)
    for group, rows in c[c["in_danger"]].groupby("group"):
        reached = rows["outcome"].isin(["care_provider", "supplier", "ambulance", "outreach",
                                        "neighbour", "self"])
        want = [(reached & (rows["reached_at"] <= h)).mean() for h in at]
        assert curve[group].to_numpy() == pytest.approx(want)
        assert (np.diff(curve[group].to_numpy()) >= 0).all()
    table = vulnerable_not_reached(run)
    reached = c["outcome"].isin(["care_provider", "supplier", "ambulance", "outreach",
                                 "neighbour", "self"])
    # Not reached: harmed, or still waiting at the horizon (at risk).
    assert table["not_reached"].sum() == (c["in_danger"] & ~reached).sum()
    assert table["harmed"].sum() == (c["outcome"] == "harmed").sum()
    assert (table["not_reached"] <= table["in_danger"]).all()


def test_map_furniture_scale_bar_north_arrow_and_holes():
    assert [nice_length(s) for s in (170_000, 9_000, 260, 1_000_000)] == [
        20_000, 1_000, 50, 200_000]
    fig = Figure()
    ax = fig.subplots()
    ring = shapely.Polygon([(0, 0), (10_000, 0), (10_000, 10_000), (0, 10_000)],
                           [[(4_000, 4_000), (6_000, 4_000), (6_000, 6_000), (4_000, 6_000)]])
    draw_polygons(ax, [ring], np.array([0.5]))
    ax.set_xlim(0, 10_000)
    ax.set_ylim(0, 10_000)
    assert add_scale_bar(ax) == 2_000
    add_north_arrow(ax)
    assert any(isinstance(a, AnchoredSizeBar) for a in ax.artists)
    assert any(t.get_text() == "N" for t in ax.texts)
    # Rendered, the hole stays empty and the ring is filled.
    small = Figure(figsize=(2, 2), dpi=50)
    canvas = FigureCanvasAgg(small)
    plain = small.add_axes((0, 0, 1, 1))
    plain.set_axis_off()
    draw_polygons(plain, [ring], facecolor="black", edgecolor="none")
    plain.set_xlim(0, 10_000)
    plain.set_ylim(0, 10_000)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    assert pixels[50, 50, :3].tolist() == [255, 255, 255]  # the hole, in the middle
    assert pixels[10, 10, :3].tolist() == [0, 0, 0]
    assert len(polygon_path(ring).to_polygons()) == 2


def curves(label: str, shares: list[float]) -> RunCurves:
    hours = pd.Index([0.0, 1.0], name="hour")
    return RunCurves(label=label, deadline_h=72.0,
                     covered=pd.DataFrame({"open": shares, "operational": shares,
                                           "coordination point": shares}, index=hours),
                     points=pd.DataFrame(index=hours), vulnerable=pd.DataFrame(index=hours))


def test_a_band_over_seeds_only_when_there_are_several_runs():
    one = coverage_curve({"a": [curves("a", [0.1, 0.2])]})
    several = coverage_curve({"a": [curves("a", [0.1, 0.2]), curves("a", [0.3, 0.5])]})
    assert not [c for c in one.axes[0].collections if isinstance(c, PolyCollection)]
    bands = [c for c in several.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3  # open, operational, coordination point (no grid data here)
    mean = several.axes[0].lines[0].get_ydata()
    assert list(mean) == pytest.approx([0.2, 0.35])


def test_the_difference_is_b_minus_a_of_the_means():
    a = [pd.Series({"GM1": 0.2, "GM2": 0.5}), pd.Series({"GM1": 0.4, "GM2": 0.5})]
    b = [pd.Series({"GM1": 0.9, "GM2": 0.4})]
    assert coverage_difference(a, b).to_dict() == pytest.approx({"GM1": 0.6, "GM2": -0.1})


# --- several runs ---------------------------------------------------------------------------

def test_runs_are_grouped_into_scenarios_and_selected_by_their_config():
    configs = [{"name": "x", "seed": s, "support_points": {"backup_power": b}}
               for b in ("none", "all") for s in (1, 2)]
    assert scenario_labels(configs) == ["support_points.backup_power=none"] * 2 + [
        "support_points.backup_power=all"] * 2
    folders = [Path(f"/r/{i}") for i in range(4)]
    assert select("support_points.backup_power=all", folders, configs) == [2, 3]
    assert select("support_points.backup_power=none,seed=2", folders, configs) == [1]
    with pytest.raises(InputError, match="'all', 'none'"):
        select("support_points.backup_power=some", folders, configs)
    named = [{"name": "a", "seed": 1, "x": 1}, {"name": "b", "seed": 1, "x": 2}]
    assert scenario_labels(named) == ["a", "b"]
    lists = [{"region": {"select": {"regions": r}}, "seed": 1}
             for r in (["Twente"], ["Twente", "VNOG"])]
    assert select("region.select.regions=[Twente,VNOG],seed=1", folders[:2], lists) == [1]
    assert same_value(1e-3, 0.001) and same_value("1e-3", 0.001)
    assert same_value(0, 0.0) and not same_value(1, True) and same_value(True, True)


def test_a_sweep_gives_curves_with_bands_and_a_difference_map(sweep_folder, run_folder,
                                                              tmp_path, capsys):
    assert not list(sweep_folder.glob("*/figures"))  # switched off for the jobs
    assert not list(sweep_folder.glob("*/coverage.gpkg"))
    settings = settings_from({**default_config(), "formats": ["png"],
                              "covering": "operational"})
    written = draw_runs([sweep_folder], settings, tmp_path / "figs",
                        ("support_points.backup_power=none", "support_points.backup_power=all"))
    assert sorted(p.name for p in written) == ["coverage_curve.png", "difference_map_72h.png",
                                               "points_curve.png",
                                               "vulnerable_reached_curve.png"]
    assert all(p.stat().st_size > 10_000 for p in written)
    with pytest.raises(InputError, match="--compare"):
        draw_runs([sweep_folder], settings, tmp_path / "none", (str(run_folder), "seed=1"))
    assert not (tmp_path / "none").exists()
    # Drawn again by the command, without --compare: two scenarios, so a difference map too.
    proc = call_main(figures_main, [str(sweep_folder), "formats=[png]"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert (sweep_folder / "figures" / "difference_map_72h.png").stat().st_size > 10_000


def test_the_shortfall_figure_stacks_each_regions_causes_to_its_counted_hours():
    import matplotlib

    from sim.research.curves import shortfall_figure

    table = pd.DataFrame([
        ("A", "local_point", "no_generator", 60, 100), ("A", "local_point", "not_decided", 10, 100),
        ("B", "local_point", "tank_dry", 50, 50),
        ("A", "coordination_point", "too_few_staff", 5, 20)],
        columns=["region", "kind", "cause", "point_hours", "counted_hours"])
    fig = shortfall_figure(table, "test")
    lp, cp = fig.axes[:2]
    # Per region the bars end at 100 %: causes, then the operational rest.
    for ax in (lp, cp):
        ends = {}
        for bar in ax.patches:
            assert isinstance(bar, matplotlib.patches.Rectangle)
            y = round(bar.get_y(), 6)
            ends[y] = max(ends.get(y, 0.0), bar.get_x() + bar.get_width())
        assert all(abs(e - 1.0) < 1e-9 for e in ends.values())
    widths = sorted(round(b.get_width(), 6) for b in lp.patches if b.get_width() > 0)
    assert widths == [0.1, 0.3, 0.6, 1.0]  # A: 60 %, 10 %, 30 % operational; B: all dry
    labels = fig.legends[0].get_texts()
    assert {t.get_text() for t in labels} >= {"no generator", "operational", "too few staff"}


def test_a_city_timeline_shows_the_points_last_to_open(monkeypatch):
    import sim.research.curves as curves

    m = "GM0001"
    records = []
    for opens, name in [(3.0, "A"), (None, "B"), (9.0, "C"), (5.0, "D")]:
        records.append((1.0, "point_activated", m, name, 0, ""))
        if opens is not None:
            records.append((opens, "point_state", m, name, 0.5, "open_reduced"))
    run = fake_run(records, ["A", "B", "C", "D"])
    monkeypatch.setattr(curves, "MAX_TIMELINE_POINTS", 2)
    fig = timeline_figure(run, m)
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert shown == ["B (B)", "C (C)"]  # never opened, and the last to open; in their order
    assert "the 2 of 4 points last to open" in fig.axes[0].get_title()
