"""The whole country: any selection by region code or name, per-region defaults, the maps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import compose_config

from sim.errors import InputError
from sim.model.engine import Model
from sim.params.validate import prepare
from sim.research.maps import data_note
from sim.results.run import build_network, run


def _prepare(overrides: list[str]):
    return prepare(compose_config(overrides))


def test_the_same_run_whichever_name_selects_the_region():
    records = []
    for name in ("Twente", "VR05", "twente"):
        scenario = _prepare([f"region.select.regions=[{name}]", "horizon_h=30", "seed=3",
                             "support_points.operational_deadline_h=24"])
        records.append(Model(scenario, build_network(scenario)).run().records)
    pd.testing.assert_frame_equal(records[0], records[1])
    pd.testing.assert_frame_equal(records[0], records[2])


def test_the_national_preset_runs_and_reports_every_region():
    # The preset as it is (its whole horizon): test_app's check that every preset
    # composes, validates and runs leaves this one to this test.
    result = run(_prepare(["scenarios=nederland"]))
    summary = result.summary
    assert summary["total"]["municipalities"] == 342
    assert summary["total"]["residents"] == 18_044_027
    by_region = summary["indicators"]["by_region"]
    assert len(by_region) == 25
    assert sum(r["residents_affected"] for r in by_region.values()) == 18_044_027
    assert sum(r["local_points_planned"] for r in by_region.values()) == len(
        result.model.planned_points)
    for name, row in by_region.items():
        assert row["affected_municipalities"] == row["municipalities"] > 0, name
        assert row["local_points_planned"] > 0, name
    # Emergency reports from a Groningen point go to the meldkamer in Drachten.
    model = Model(result.scenario, result.travel)
    site = next(s for s in model.sites.values() if s.region == "Groningen")
    assert model.meldkamers[site.region].location.municipality == "GM0090"
    assert model.meldkamers["VNOG"].location.municipality == "GM0200"


def test_per_region_settings_take_a_default_and_any_name_for_a_region():
    p = _prepare(["region.select.regions=[VNOG,VR07,Gelderland-Zuid]",
                  "fuel.trucks_per_region={default: 3, Gelderland-Midden: 5, vgz: 1}"]).params
    mine = ("VGGM", "VGZ", "VNOG")
    assert {r: p.fuel.trucks_per_region[r] for r in mine} == {"VGGM": 5, "VGZ": 1, "VNOG": 3}
    assert p.fuel.trucks_per_region["Zeeland"] == 3  # the default, for every region
    assert {r: p.comms.meldkamers[r] for r in mine} == dict.fromkeys(mine, "GM0200")
    # An override by name replaces the default the config keys by code.
    own = _prepare(["region.select.regions=[VR22]",
                    "comms.meldkamers={Brabant-Zuidoost: GM0772}"]).params
    assert own.comms.meldkamers["Brabant-Zuidoost"] == "GM0772"
    assert own.comms.meldkamers["Brabant-Noord"] == "GM0796"


def test_a_region_key_that_is_no_region_is_rejected():
    with pytest.raises(InputError) as exc:
        _prepare(["power.mobile.per_region={default: 3, Oostland: 2}"])
    assert exc.value.fields() == ["power.mobile.per_region"]
    assert "Oostland" in str(exc.value) and "VR01-VR25" in str(exc.value)


def test_bad_region_names_stop_the_command_line_with_nothing_written(tmp_path: Path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "region.select.regions=[VR26,Gelderland]",
         f"results_dir={out}"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "region.select.regions" in proc.stderr and "VR26" in proc.stderr
    assert "by code, name or short name" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_maps_name_the_synthetic_layers():
    class Run:
        synthetic = ("demand_points", "fire_stations", "support_point_candidates")
        boundaries = "/somewhere/geodata/nl.gpkg#municipalities"

    note = data_note(Run())  # type: ignore[arg-type]
    assert "CBS/PDOK" in note and "SYNTHETIC" in note and "fire stations" in note

    class Own:
        synthetic = ()
        boundaries = "/data/gemeenten.gpkg#municipalities"

    note = data_note(Own())  # type: ignore[arg-type]
    assert "gemeenten.gpkg" in note and "SYNTHETIC" not in note
