"""Planners' answers: the headline, indicators per region and municipality, causes of
shortfall and results per site (issue 15)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import compose_config

from sim.params.validate import prepare
from sim.results.headline import TOTAL, headline_rows
from sim.results.points import backup_cells, cp_cells
from sim.results.records import affected_sites
from sim.results.run import RunResult, run
from sim.results.shortfall import CAUSES, NONE, cause_hours, shortfall_table, site_causes

AREA = ["region.select.regions=[Twente,IJsselland]", "horizon_h=96"]
BACKUP_EVERYWHERE = ["stations.backup_power=all", "support_points.backup_power=all"]
#: Tanks that last the whole run: no generator waits for fuel.
FULL_TANKS = ["power.fixed.min_autonomy_h=96"]


def simulate(extra: list[str]) -> RunResult:
    return run(prepare(compose_config([*AREA, *extra])))


@pytest.fixture(scope="module")
def base() -> RunResult:
    return simulate([])


@pytest.fixture(scope="module")
def backed_up() -> RunResult:
    return simulate([*BACKUP_EVERYWHERE, *FULL_TANKS])


# --- causes of shortfall ------------------------------------------------------------------


def test_causes_add_up_to_the_point_hours_not_operational(base):
    result = base.model
    at = cause_hours(result)
    causes = site_causes(result)
    # Local points: counted and not operational on backup, as the 72-hour norm counts them.
    hit, counted = backup_cells(result, at, result.planned_points)
    ids, lp, lp_counted = causes["local_point"]
    assert ids == list(result.planned_points)
    assert np.array_equal(lp_counted, counted)
    assert int((lp != NONE).sum()) == int((counted & ~hit).sum()) > 1000
    assert ((lp != NONE) <= counted).all()
    # Coordination points: counted (grid off, not stood down) and not functioning.
    cp_ids, cp, cp_counted = causes["coordination_point"]
    assert cp_ids == affected_sites(result, result.coordination_points)
    functional, _ = cp_cells(result, at, cp_ids)
    assert int((cp != NONE).sum()) == int((cp_counted & ~functional).sum()) > 0
    # The table per region holds the same hours, and every cell has a named cause.
    table = shortfall_table(result, base.region_of)
    assert int(table["point_hours"].sum()) == int((lp != NONE).sum() + (cp != NONE).sum())
    assert set(table["cause"]) <= set(CAUSES)
    other = table.loc[table["cause"] == "other", "point_hours"].sum()
    assert other <= 0.01 * table["point_hours"].sum()  # the causes explain the shortfall


def test_causes_follow_the_chain_of_a_point_in_time_order(base):
    result = base.model
    _, lp, _ = site_causes(result)["local_point"]
    order = {c: i for i, c in enumerate(CAUSES)}
    for k in range(lp.shape[1]):
        seen = [CAUSES[c] for c in lp[:, k] if c != NONE]
        # Once decided, a point is never "not decided" again; once opened, never waiting for
        # its key holder.
        if "not_decided" in seen:
            first_other = next((i for i, c in enumerate(seen) if c != "not_decided"), None)
            if first_other is not None:
                assert "not_decided" not in seen[first_other:]
        if "key_holder" in seen:
            last_key = max(i for i, c in enumerate(seen) if c == "key_holder")
            assert all(order[c] > order["key_holder"] for c in seen[last_key + 1:])


def test_backup_power_everywhere_removes_no_generator_as_a_cause(base, backed_up):
    before = shortfall_table(base.model, base.region_of)
    assert before.loc[before["cause"] == "no_generator", "point_hours"].sum() > 1000
    # Generators everywhere with the default tanks: the shortfall moves to fuel, as the
    # trucks cannot keep every tank filled.
    dry = simulate(BACKUP_EVERYWHERE)
    moved = shortfall_table(dry.model, dry.region_of)
    assert "no_generator" not in set(moved["cause"])
    by_cause = moved.groupby("cause")["point_hours"].sum()
    assert by_cause.idxmax() == "tank_dry"
    # With tanks for the whole run, neither remains and the norm rises.
    after = shortfall_table(backed_up.model, backed_up.region_of)
    assert not {"no_generator", "tank_dry"} & set(after["cause"])
    assert after["point_hours"].sum() < before["point_hours"].sum()
    norm = backed_up.summary["indicators"]["all_regions"]["norm_72h_share"]
    assert norm > 0.5 > base.summary["indicators"]["all_regions"]["norm_72h_share"]


# --- indicators per region and municipality --------------------------------------------


def test_regions_and_municipalities_add_up_to_the_whole(base):
    ind = base.summary["indicators"]
    whole = ind["all_regions"]
    regions = ind["by_region"]
    municipalities = ind["by_municipality"]
    assert set(regions) == {"Twente", "IJsselland"}
    assert len(municipalities) == 25
    for key in ("norm_72h_points", "points_without_grid", "local_points_planned",
                "residents_affected", "vulnerable_in_danger", "vulnerable_harmed"):
        assert sum(r[key] for r in regions.values()) == whole[key], key
        assert sum(m[key] for m in municipalities.values()) == whole[key], key
    # The whole's norm is the summary's 72-hour norm.
    norm = ind["local_points"]["norm_72h"]
    assert whole["norm_72h_points"] == norm["operational_on_backup"]
    assert whole["points_without_grid"] == norm["points_without_grid"]


def test_operational_reach_never_exceeds_open_reach_and_grows_with_backup(base, backed_up):
    for result in (base, backed_up):
        f = result.model.flows
        assert (f.in_reach_operational <= f.in_reach + 1e-6).all()
    full = backed_up.summary["indicators"]["all_regions"]["within_reach_operational_share"]
    assert full > base.summary["indicators"]["all_regions"]["within_reach_operational_share"]
    # With a generator at every point nearly every open point is operational.
    open_reach = backed_up.summary["indicators"]["all_regions"]["within_reach_share"]
    assert full >= 0.9 * open_reach


# --- results per site ----------------------------------------------------------------------


def test_sites_are_named_sorted_and_agree_with_the_causes(base):
    sites = base.site_results
    region = base.scenario.region
    assert len(sites) == len(region.fire_stations) + len(region.support_point_candidates)
    assert sites["name"].str.len().min() > 0
    hours = sites["hours_without_power"].to_numpy()
    assert (np.diff(hours) <= 0).all()  # the stations that most need backup power first
    assert (sites["hours_without_power"] <= sites["hours_grid_off"]).all()
    # A station with its own generator is without power for fewer hours, on average.
    fs = sites[sites["kind"].isin(["fire_station", "coordination_point"])]
    assert (fs.loc[fs["has_backup_power"], "hours_without_power"].mean()
            < fs.loc[~fs["has_backup_power"], "hours_without_power"].mean())
    # Planned points: operational hours are what the norm counts.
    result = base.model
    hit, counted = backup_cells(result, cause_hours(result), result.planned_points)
    planned = sites.set_index("id").loc[result.planned_points]
    assert planned["hours_operational"].sum() == (hit & counted).sum()
    never = planned["hours_operational"] == 0
    assert planned.loc[never, "first_operational_h"].isna().all()
    assert planned.loc[~never, "first_operational_h"].notna().all()
    short = planned["main_cause"].notna()
    assert set(planned.loc[short, "main_cause"]) <= set(CAUSES)


# --- the headline -------------------------------------------------------------------------


def test_the_headline_has_a_row_per_region_and_the_total(base):
    rows = headline_rows(base.summary)
    assert [r["region"] for r in rows] == ["IJsselland", "Twente", TOTAL]
    whole = base.summary["indicators"]["all_regions"]
    total = rows[-1]
    assert total["norm"].startswith(f"{100 * whole['norm_72h_share']:.1f} %")
    assert f"({whole['norm_72h_points']} of {whole['points_without_grid']})" in total["norm"]
    assert total["top_cause"].startswith("no generator")


@pytest.mark.slow
def test_a_run_prints_its_headline_and_writes_it(twente_folder):
    from conftest import shared_run_stdout

    # python -m sim for Twente (the session's run, shared with the researchers' tests).
    stdout, folder = shared_run_stdout(twente_folder), twente_folder
    assert "| region " in stdout and "| Twente " in stdout
    assert f"| {TOTAL} " in stdout
    text = (folder / "headline.md").read_text(encoding="utf-8")
    assert text.strip() in stdout
    summary = json.loads((folder / "summary.json").read_text())
    assert "shortfall" in summary["indicators"] and "by_municipality" in summary["indicators"]
    table = pd.read_csv(folder / "shortfall.csv")
    assert {"region", "kind", "cause", "point_hours", "counted_hours", "share"} <= set(table)
    layer = gpd.read_file(folder / "region.gpkg", layer="site_results")
    sites = pd.read_csv(folder / "sites.csv")
    assert len(layer) == len(sites) and list(sites["id"]) == list(layer["id"])


def test_the_headline_says_when_power_returns_first_and_last(base):
    from sim.results.headline import headline_text

    outage = base.summary["indicators"]["outage"]
    text = headline_text(base.summary, "t")
    assert f"returns from {outage['duration_h']:.1f} h" in text
    assert f"last municipality's at {outage['last_restoration_h']:.1f} h" in text
    assert outage["last_restoration_h"] > outage["duration_h"]  # restored in stages
