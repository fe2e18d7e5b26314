"""The embedded national GeoPackage and the deterministic build behind it."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from conftest import REAL_MUNICIPALITIES, REAL_REGIONS
from pandas.testing import assert_frame_equal

from sim.geo.schema import SCHEMAS
from sim.geo.settings import (
    LAYER_METADATA,
    BuildSettings,
    read_source_table,
    stations_per_region,
)
from sim.geo.synthetic import build_layers
from sim.geo.write import write_geopackage
from sim.paths import (
    EMBEDDED_GEOPACKAGE,
    EMBEDDED_REGION_TABLE,
    EMBEDDED_SOURCE_TABLE,
    PROJECT_ROOT,
)

SOURCE_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "nl_municipalities_2025.csv"
#: CBS, 1 January 2025.
NATIONAL_POPULATION = 18_044_027
OOST5 = ("VNOG", "VGGM", "VGZ", "IJsselland", "Twente")
#: Sourced station counts the build must keep (geodata/source/safety_regions.csv).
KNOWN_STATIONS = {"VNOG": 56, "VGGM": 40, "VGZ": 36, "IJsselland": 36, "Twente": 29,
                  "Brabant-Zuidoost": 37, "Amsterdam-Amstelland": 18, "Zeeland": 64}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return read_source_table(EMBEDDED_SOURCE_TABLE)


@pytest.fixture(scope="module")
def embedded() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(EMBEDDED_GEOPACKAGE, layer=name) for name in SCHEMAS}


@pytest.fixture(scope="module")
def rebuilt(embedded, table) -> dict[str, gpd.GeoDataFrame]:
    """The point layers built again inside the committed (real) municipal boundaries."""
    m = embedded["municipalities"]
    return build_layers(table, dict(zip(m["code"], m.geometry, strict=True)))


def test_geopackage_has_the_five_layers_in_the_dutch_grid(embedded):
    assert sorted(str(r[0]) for r in pyogrio.list_layers(EMBEDDED_GEOPACKAGE)) == sorted(SCHEMAS)
    for name, frame in embedded.items():
        assert frame.crs.to_epsg() == 28992, name
        assert frame.geometry.is_valid.all(), name
        assert not frame.geometry.is_empty.any(), name


def test_the_whole_country_with_the_cbs_total(embedded, table):
    m = embedded["municipalities"]
    assert len(m) == 342 and m["code"].is_unique
    assert m["population"].sum() == NATIONAL_POPULATION
    assert m["region"].nunique() == 25
    merged = m.merge(table, left_on="code", right_on="cbs_code", validate="one_to_one")
    assert len(merged) == 342
    assert (merged["name"] == merged["municipality"]).all()
    assert (merged["population_x"] == merged["population_y"]).all()
    # Real boundaries: a coverage without overlaps, about the land and water of the country.
    assert m.geometry.union_all().area == pytest.approx(m.area.sum(), rel=1e-6)
    assert 34_000 < m.area.sum() / 1e6 < 36_000
    oost5 = m[m["region"].isin(OOST5)]
    assert len(oost5) == 76 and oost5["population"].sum() == 3_357_147


def test_source_table_is_the_shared_reference_table(table):
    if not SOURCE_REFERENCE.is_file():
        pytest.skip("shared reference table not present")
    ref = read_source_table(SOURCE_REFERENCE).set_index("cbs_code").sort_index()
    ours = table.set_index("cbs_code").sort_index()
    assert_frame_equal(ours, ref)


def test_regions_have_codes_names_and_short_names(embedded):
    r = embedded["regions"].set_index("code").sort_index()
    assert list(r.index) == [f"VR{i:02d}" for i in range(1, 26)]
    assert r.loc["VR07", "name"] == "VGGM" and r.loc["VR07", "full_name"] == "Gelderland-Midden"
    assert r.loc["VR19", "name"] == "Zeeland" and r.geometry.is_valid.all()
    assert r["population"].sum() == NATIONAL_POPULATION
    assert r["municipalities"].sum() == 342


def test_demand_points_sum_exactly_to_each_municipality(embedded):
    dp = embedded["demand_points"]
    m = embedded["municipalities"].set_index("code")
    sums = dp.groupby("municipality")["residents"].sum()
    assert (sums.reindex(m.index) == m["population"]).all()
    assert (dp["residents"] > 0).all()
    main = dp[dp["kind"] == "main_town"]
    assert main["municipality"].is_unique and len(main) == 342
    # The main town (with its districts) is the largest centre of its municipality.
    town = dp.assign(town=dp["id"].str.split("-W").str[0])
    sizes = town.groupby(["municipality", "town"], as_index=False)["residents"].sum()
    largest = sizes.loc[sizes.groupby("municipality")["residents"].idxmax(), "town"]
    assert set(largest) == set(main["id"])
    # No centre holds more than a district: towns are split (BuildSettings).
    assert dp["residents"].max() <= 25_000
    districts = dp[dp["kind"] == "district"]
    assert len(districts) > 200 and districts["id"].str.contains("-W").all()
    joined = gpd.sjoin(dp, embedded["municipalities"][["code", "geometry"]], predicate="within")
    assert (joined["code"] == joined["municipality"]).all() and len(joined) == len(dp)


def test_fire_stations_follow_the_sourced_counts(embedded):
    fs = embedded["fire_stations"]
    counts = fs["region"].value_counts()
    assert len(fs) == 962  # EenVandaag, March 2025
    for region, n in KNOWN_STATIONS.items():
        assert counts[region] == n, region
    assert fs["id"].is_unique
    assert set(fs["municipality"]) == set(embedded["municipalities"]["code"])
    # Backup power: under 20 % nationally, more than half in Twente, 1 of 37 in
    # Brabant-Zuidoost (Trouw inventory via RD, May 2025).
    share = fs.groupby("region")["has_backup_power"].mean()
    assert fs["has_backup_power"].mean() < 0.20
    assert share["Twente"] > 0.5
    assert fs.loc[fs["region"] == "Brabant-Zuidoost", "has_backup_power"].sum() == 1
    assert ((fs["generator_kva"] > 0) == fs["has_backup_power"]).all()
    # CBS 2019 crews per safety region are spread exactly; Gelderland and Overijssel
    # add up to the provincial figures.
    crews = fs.groupby("region")[["crew_professional", "crew_volunteer"]].sum()
    source = pd.read_csv(EMBEDDED_REGION_TABLE).set_index("name")
    assert (crews["crew_professional"] == source["crew_professional"].reindex(crews.index)).all()
    assert (crews["crew_volunteer"] == source["crew_volunteer"].reindex(crews.index)).all()
    assert crews.loc[["VNOG", "VGGM", "VGZ"]].sum().tolist() == [431, 2729]
    assert crews.loc[["IJsselland", "Twente"]].sum().tolist() == [303, 1411]
    dp = embedded["demand_points"].set_index("id")
    assert (dp.loc[fs["demand_point"], "municipality"].to_numpy() == fs["municipality"]).all()


def test_unsourced_station_counts_share_what_the_national_total_leaves(table):
    s = BuildSettings()
    counts = stations_per_region(table, s)
    assert sum(counts.values()) == s.stations_total
    estimated = set(counts) - set(s.stations_per_region)
    assert estimated == {"Kennemerland", "Rotterdam-Rijnmond", "Limburg-Noord"}
    # A selection does not change a region's count.
    twente = table[table["region"] == "Twente"]
    assert stations_per_region(twente, s) == {"Twente": 29}


def test_one_coordination_point_per_municipality_preferring_backup_power(embedded):
    fs = embedded["fire_stations"]
    cp = fs[fs["is_coordination_point"]]
    assert cp["municipality"].is_unique and len(cp) == 342
    for code in set(fs.loc[fs["has_backup_power"], "municipality"]):
        assert cp.loc[cp["municipality"] == code, "has_backup_power"].all(), code


def test_support_point_candidates_about_one_per_5000(embedded):
    sp = embedded["support_point_candidates"]
    assert len(sp) == pytest.approx(NATIONAL_POPULATION / 5_000, rel=0.05)
    assert (sp["capacity"] > 0).all() and sp["id"].is_unique
    assert set(sp["municipality"]) == set(embedded["municipalities"]["code"])
    joined = gpd.sjoin(sp, embedded["municipalities"][["code", "geometry"]], predicate="within")
    assert (joined["code"] == joined["municipality"]).all() and len(joined) == len(sp)


def test_layer_metadata_names_real_boundaries_and_synthetic_points():
    def meta(layer: str) -> str:
        return pyogrio.read_info(EMBEDDED_GEOPACKAGE, layer=layer)["layer_metadata"][
            "DESCRIPTION"]

    assert "REAL boundaries" in meta("municipalities") and "CBS" in meta("municipalities")
    for layer in ("demand_points", "fire_stations", "support_point_candidates"):
        assert "SYNTHETIC" in meta(layer), layer


def test_the_build_is_deterministic_and_gives_the_committed_layers(rebuilt, embedded, table,
                                                                   tmp_path):
    m = embedded["municipalities"]
    again = build_layers(table, dict(zip(m["code"], m.geometry, strict=True)))
    for name in SCHEMAS:
        assert_frame_equal(rebuilt[name], again[name], check_exact=True)
    out_a, out_b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write_geopackage(rebuilt, out_a, metadata=LAYER_METADATA)
    write_geopackage(again, out_b, metadata=LAYER_METADATA)
    assert out_a.read_bytes() == out_b.read_bytes()
    # Field by field the same as the committed file.
    for name in SCHEMAS:
        got = gpd.read_file(out_a, layer=name)
        assert_frame_equal(got.drop(columns="geometry"), embedded[name].drop(columns="geometry"))
        assert got.geometry.geom_equals_exact(embedded[name].geometry, tolerance=1e-6).all(), name


def test_another_seed_changes_the_draws_but_not_the_totals(table, embedded, rebuilt):
    m = embedded["municipalities"]
    other = build_layers(table, dict(zip(m["code"], m.geometry, strict=True)),
                         BuildSettings(seed=7))
    assert not other["fire_stations"]["has_backup_power"].equals(
        rebuilt["fire_stations"]["has_backup_power"])
    assert other["demand_points"]["residents"].sum() == NATIONAL_POPULATION
    assert (other["fire_stations"]["region"].value_counts().sort_index()
            == rebuilt["fire_stations"]["region"].value_counts().sort_index()).all()


def test_build_settings_reject_impossible_values():
    with pytest.raises(ValueError, match=r"backup_power_share\['Twente'\] = 1.5"):
        BuildSettings(backup_power_share={"Twente": 1.5})
    with pytest.raises(ValueError, match="stations_per_region"):
        BuildSettings(stations_per_region={"VNOG": 0})


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build", PROJECT_ROOT / "geodata" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHARED = pytest.mark.skipif(not REAL_MUNICIPALITIES.is_file(),
                            reason="the CBS/PDOK boundary files are not present")


def _build(out, *extra: str) -> None:
    _load_build_script().main(["--municipalities", str(REAL_MUNICIPALITIES),
                               "--regions", str(REAL_REGIONS), "--out", str(out), *extra])


@SHARED
def test_build_script_rebuilds_the_committed_file_byte_for_byte(tmp_path):
    out = tmp_path / "nl.gpkg"
    _build(out)
    assert out.read_bytes() == EMBEDDED_GEOPACKAGE.read_bytes()


@SHARED
def test_build_script_overrides_a_share_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "twente.gpkg"
    _build(out, "--backup-share", "Twente=1")
    fs = gpd.read_file(out, layer="fire_stations")
    assert fs.loc[fs["region"] == "Twente", "has_backup_power"].all()
    for bad in ("Twente=1.5", "Twente", "Oost=0.2"):
        with pytest.raises(SystemExit) as exc:
            _build(tmp_path / "x.gpkg", "--backup-share", bad)
        assert exc.value.code == 2
        assert bad.split("=")[0] in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _load_build_script().main(["--municipalities", str(tmp_path / "absent.geojson"),
                                   "--regions", str(REAL_REGIONS),
                                   "--out", str(tmp_path / "x.gpkg")])
    assert exc.value.code == 2 and "absent.geojson" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_professional_posts_get_backup_power_before_volunteer_posts(embedded):
    fs = embedded["fire_stations"]
    professional = fs["crew_professional"] > 0
    assert 80 <= professional.sum() <= 110  # NIPV: 106 professional stations (end 2022)
    for region, group in fs.groupby("region"):
        pro = group[group["crew_professional"] > 0]
        volunteer_backup = group.loc[group["crew_professional"] == 0, "has_backup_power"].any()
        if volunteer_backup:
            assert pro["has_backup_power"].all(), region
    # Amsterdam: 11-12 professional stations (Dekkingsplan 2025-2028).
    assert 9 <= (fs.loc[fs["municipality"] == "GM0363", "crew_professional"] > 0).sum() <= 13
