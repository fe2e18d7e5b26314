"""The embedded Oost-5 GeoPackage and the deterministic build behind it."""

from __future__ import annotations

import importlib.util

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pandas.testing import assert_frame_equal

from sim.geo.schema import RD_NEW, SCHEMAS
from sim.geo.synthetic import LAYER_METADATA, BuildSettings, build_layers, read_source_table
from sim.geo.write import write_geopackage
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE, PROJECT_ROOT

SOURCE_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "oost5_municipalities.csv"
STATIONS_PER_REGION = {"VNOG": 56, "VGGM": 40, "VGZ": 36, "IJsselland": 36, "Twente": 29}
MUNICIPALITIES_PER_REGION = {"VNOG": 22, "VGGM": 15, "VGZ": 14, "IJsselland": 11, "Twente": 14}
REGION_POPULATION = {"VNOG": 831_546, "VGGM": 701_522, "VGZ": 564_025,
                     "IJsselland": 535_026, "Twente": 631_436}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return read_source_table(EMBEDDED_SOURCE_TABLE)


@pytest.fixture(scope="module")
def embedded() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(EMBEDDED_GEOPACKAGE, layer=name) for name in SCHEMAS}


def test_geopackage_has_the_five_layers_in_the_dutch_grid(embedded):
    assert sorted(str(r[0]) for r in pyogrio.list_layers(EMBEDDED_GEOPACKAGE)) == sorted(SCHEMAS)
    for name, frame in embedded.items():
        assert frame.crs.to_epsg() == 28992, name
        assert frame.geometry.is_valid.all(), name
        assert not frame.geometry.is_empty.any(), name


def test_municipalities_match_the_source_table(embedded, table):
    m = embedded["municipalities"]
    assert len(m) == 76
    assert m["region"].value_counts().to_dict() == MUNICIPALITIES_PER_REGION
    assert m["population"].sum() == 3_263_555
    assert m.groupby("region")["population"].sum().to_dict() == REGION_POPULATION
    merged = m.merge(table, left_on="code", right_on="cbs_code", validate="one_to_one")
    assert len(merged) == 76
    assert (merged["name"] == merged["municipality"]).all()
    assert (merged["population_x"] == merged["population_y"]).all()
    assert set(m.columns) >= {"code", "name", "region", "population", "population_year"}


def test_source_table_is_derived_from_the_reference_table(table):
    if not SOURCE_REFERENCE.is_file():
        pytest.skip("shared reference table not present")
    ref = pd.read_csv(SOURCE_REFERENCE, dtype={"cbs_code": str})
    ours = table.set_index("cbs_code").sort_index()
    ref = ref.set_index("cbs_code").sort_index()
    for column in ("region", "municipality", "population", "population_year", "lat", "lon",
                   "area_km2"):
        assert (ours[column] == ref[column]).all(), column


def test_approximate_boundaries_cover_each_centroid_and_the_total_area(embedded, table):
    m = embedded["municipalities"].set_index("code")
    pts = gpd.GeoSeries.from_xy(table["lon"], table["lat"], crs="EPSG:4326").to_crs(RD_NEW)
    for code, p in zip(table["cbs_code"], pts, strict=True):
        assert m.loc[code, "geometry"].contains(p), code
    assert m.area.sum() / 1e6 == pytest.approx(table["area_km2"].sum(), rel=0.01)
    # A partition: cells do not overlap.
    assert m.geometry.union_all().area == pytest.approx(m.area.sum(), rel=1e-6)


def test_demand_points_sum_exactly_to_each_municipality(embedded):
    dp = embedded["demand_points"]
    m = embedded["municipalities"].set_index("code")
    sums = dp.groupby("municipality")["residents"].sum()
    assert (sums.reindex(m.index) == m["population"]).all()
    assert (dp["residents"] > 0).all()
    # A main town and villages with a skewed size distribution.
    main = dp[dp["kind"] == "main_town"]
    assert main["municipality"].is_unique and len(main) == 76
    largest = dp.loc[dp.groupby("municipality")["residents"].idxmax()]
    assert (largest["kind"] == "main_town").all()
    assert dp["residents"].mean() > dp["residents"].median() * 1.5
    joined = gpd.sjoin(dp, embedded["municipalities"][["code", "geometry"]], predicate="within")
    assert (joined["code"] == joined["municipality"]).all() and len(joined) == len(dp)


def test_fire_stations_follow_the_sourced_counts(embedded):
    fs = embedded["fire_stations"]
    assert fs["region"].value_counts().to_dict() == STATIONS_PER_REGION
    assert fs["id"].is_unique
    assert set(fs["municipality"]) == set(embedded["municipalities"]["code"])
    share = fs.groupby("region")["has_backup_power"].mean()
    assert share["Twente"] == pytest.approx(0.55, abs=0.03)
    for region in ("VNOG", "VGGM", "VGZ", "IJsselland"):
        assert share[region] == pytest.approx(0.15, abs=0.03)
    # Generators and tanks only where there is backup power.
    assert ((fs["generator_kva"] > 0) == fs["has_backup_power"]).all()
    assert ((fs["tank_l"] > 0) == fs["has_backup_power"]).all()
    # CBS 2019 crews per province are spread exactly.
    gelderland = fs["region"].isin(["VNOG", "VGGM", "VGZ"])
    crews = ["crew_professional", "crew_volunteer"]
    assert fs.loc[gelderland, crews].sum().tolist() == [431, 2729]
    assert fs.loc[~gelderland, crews].sum().tolist() == [303, 1411]
    # Stations sit at population centres of their own municipality.
    dp = embedded["demand_points"].set_index("id")
    assert (dp.loc[fs["demand_point"], "municipality"].to_numpy() == fs["municipality"]).all()


def test_one_coordination_point_per_municipality_preferring_backup_power(embedded):
    fs = embedded["fire_stations"]
    cp = fs[fs["is_coordination_point"]]
    assert cp["municipality"].is_unique and len(cp) == 76
    with_backup = set(fs.loc[fs["has_backup_power"], "municipality"])
    for code in with_backup:
        assert cp.loc[cp["municipality"] == code, "has_backup_power"].all(), code


def test_support_point_candidates_about_one_per_5000(embedded):
    sp = embedded["support_point_candidates"]
    assert len(sp) == pytest.approx(3_263_555 / 5_000, rel=0.05)
    assert set(sp["type"]) <= {"community_centre", "village_hall", "place_of_worship",
                               "sports_hall", "school"}
    assert (sp["capacity"] > 0).all() and sp["id"].is_unique
    assert set(sp["municipality"]) == set(embedded["municipalities"]["code"])
    joined = gpd.sjoin(sp, embedded["municipalities"][["code", "geometry"]], predicate="within")
    assert (joined["code"] == joined["municipality"]).all() and len(joined) == len(sp)


def test_regions_layer_holds_the_five_safety_regions(embedded):
    r = embedded["regions"].set_index("name")
    assert sorted(r.index) == sorted(STATIONS_PER_REGION)
    assert r["code"].to_dict() == {"VNOG": "VR06", "VGGM": "VR07", "VGZ": "VR08",
                                   "IJsselland": "VR04", "Twente": "VR05"}
    assert r["population"].to_dict() == REGION_POPULATION


def test_layer_metadata_says_the_boundaries_are_approximate():
    meta = pyogrio.read_info(EMBEDDED_GEOPACKAGE, layer="municipalities")["layer_metadata"]
    assert "APPROXIMATE" in meta["DESCRIPTION"]


def test_rebuilding_gives_identical_content(table, embedded, tmp_path):
    first = build_layers(table)
    second = build_layers(table)
    for name in SCHEMAS:
        assert_frame_equal(first[name], second[name], check_exact=True)
    # And the committed file is what the build script writes (same bytes on rebuild).
    out_a, out_b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write_geopackage(first, out_a, metadata=LAYER_METADATA)
    write_geopackage(second, out_b, metadata=LAYER_METADATA)
    assert out_a.read_bytes() == out_b.read_bytes()
    for name in SCHEMAS:
        rebuilt = gpd.read_file(out_a, layer=name)
        committed = embedded[name]
        assert_frame_equal(rebuilt.drop(columns="geometry"), committed.drop(columns="geometry"))
        assert rebuilt.geometry.geom_equals_exact(committed.geometry, tolerance=1.0).all(), name


def test_another_seed_changes_the_draws_but_not_the_totals(table):
    other = build_layers(table, BuildSettings(seed=7))
    base = build_layers(table)
    assert not other["fire_stations"]["has_backup_power"].equals(
        base["fire_stations"]["has_backup_power"])
    assert other["demand_points"]["residents"].sum() == base["demand_points"]["residents"].sum()
    assert other["fire_stations"]["region"].value_counts().to_dict() == STATIONS_PER_REGION


def test_build_settings_reject_impossible_values():
    with pytest.raises(ValueError, match=r"backup_power_share\['Twente'\] = 1.5"):
        BuildSettings(backup_power_share={"Twente": 1.5})
    with pytest.raises(ValueError, match="stations_per_region"):
        BuildSettings(stations_per_region={"VNOG": 0})


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_oost5", PROJECT_ROOT / "geodata" / "build_oost5.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_script_rebuilds_the_committed_file(tmp_path, embedded):
    out = tmp_path / "rebuilt.gpkg"
    _load_build_script().main(["--out", str(out)])
    for name in SCHEMAS:
        rebuilt = gpd.read_file(out, layer=name)
        assert_frame_equal(rebuilt.drop(columns="geometry"),
                           embedded[name].drop(columns="geometry"))
        assert rebuilt.geometry.geom_equals_exact(embedded[name].geometry, tolerance=1.0).all()


def test_build_script_overrides_a_share_and_rejects_bad_ones(tmp_path, capsys):
    script = _load_build_script()
    out = tmp_path / "twente.gpkg"
    script.main(["--out", str(out), "--backup-share", "Twente=1"])
    fs = gpd.read_file(out, layer="fire_stations")
    assert fs.loc[fs["region"] == "Twente", "has_backup_power"].all()
    for bad in ("Twente=1.5", "Twente", "Utrecht=0.2"):
        with pytest.raises(SystemExit) as exc:
            script.main(["--out", str(tmp_path / "x.gpkg"), "--backup-share", bad])
        assert exc.value.code == 2
        assert bad.split("=")[0] in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()
