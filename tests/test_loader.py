"""Loading geodata: the embedded GeoPackage, real CBS boundaries, selection, column mapping."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from sim.errors import InputError
from sim.geo.load import GeodataSpec, load_region
from sim.geo.read import LayerSource
from sim.paths import EMBEDDED_GEOPACKAGE, EMBEDDED_SOURCE_TABLE

OOST5 = ("VNOG", "VGGM", "VGZ", "IJsselland", "Twente")
_ALL = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="municipalities", columns=["code", "region"])
OOST5_CODES = tuple(_ALL.loc[_ALL["region"].isin(OOST5), "code"])
CBS_COLUMNS = {"statcode": "code", "statnaam": "name"}


def spec(**kwargs) -> GeodataSpec:
    kwargs.setdefault("sources", {})
    if "select_codes" not in kwargs:
        kwargs.setdefault("select_regions", OOST5)
    return GeodataSpec(geopackage=EMBEDDED_GEOPACKAGE, municipality_table=EMBEDDED_SOURCE_TABLE,
                       **kwargs)


def real(path: Path, **kwargs) -> dict[str, LayerSource]:
    return {"municipalities": LayerSource(path=path, crs="EPSG:28992", columns=CBS_COLUMNS,
                                          **kwargs)}


def test_embedded_region_loads_whole():
    region = load_region(spec(select_regions=()))
    assert len(region.municipalities) == 342
    assert len(region.regions) == 25
    assert region.municipalities["population"].sum() == 18_044_027  # CBS, 1 Jan 2025
    assert len(region.fire_stations) == 962
    for frame in region.layers().values():
        assert frame.crs.to_epsg() == 28992


def test_oost5_selection_by_code_name_or_short_name_is_the_same():
    by_short = load_region(spec(select_regions=OOST5))
    for names in (("VR06", "VR07", "VR08", "VR04", "VR05"),
                  ("Noord- en Oost-Gelderland", "gelderland-midden", "Gelderland-Zuid",
                   "IJSSELLAND", "Twente")):
        other = load_region(spec(select_regions=names))
        for name, frame in by_short.layers().items():
            assert frame.equals(other.layers()[name]), name
    assert len(by_short.municipalities) == 76 and len(by_short.fire_stations) == 197


@pytest.mark.parametrize("names", [("Fryslân",), ("fryslan",), (" FRYSLAN ",), ("VR02",)])
def test_region_names_are_found_without_accents_or_case(names):
    region = load_region(spec(select_regions=names))
    assert set(region.municipalities["region"]) == {"Fryslân"}


def test_both_official_spellings_of_zuid_limburg_select_it():
    cbs = load_region(spec(select_regions=("Limburg-Zuid",)))
    rijk = load_region(spec(select_regions=("Zuid-Limburg",)))
    assert cbs.municipalities.equals(rijk.municipalities)
    assert len(cbs.municipalities) == 16


@pytest.mark.parametrize(
    ("select", "n_municipalities", "regions"),
    [
        ({"select_regions": ("Twente",)}, 14, {"Twente"}),
        ({"select_regions": ("VGZ", "IJsselland")}, 25, {"VGZ", "IJsselland"}),
        ({"select_codes": ("GM0200", "GM0232")}, 2, {"VNOG"}),
        # Codes, when given, are the selection (the regions are not applied).
        ({"select_codes": ("GM0268",), "select_regions": ("Twente",)}, 1, {"VGZ"}),
        ({"select_regions": ("VR22",)}, 21, {"Brabant-Zuidoost"}),
    ],
)
def test_selection_by_region_or_code_cuts_every_layer(select, n_municipalities, regions):
    region = load_region(spec(**select))
    codes = set(region.municipalities["code"])
    assert len(codes) == n_municipalities
    assert set(region.regions["name"]) == regions
    for name in ("demand_points", "fire_stations", "support_point_candidates"):
        frame = getattr(region, name)
        assert len(frame) > 0 and set(frame["municipality"]) <= codes, name
    population = region.municipalities["population"].sum()
    assert region.demand_points["residents"].sum() == population


def test_real_boundaries_select_the_76_oost5_codes(real_municipalities):
    region = load_region(spec(sources=real(real_municipalities), select_codes=OOST5_CODES))
    m = region.municipalities
    assert len(m) == 76 and set(m["code"]) == set(OOST5_CODES)
    assert m.crs.to_epsg() == 28992
    assert m.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    # Names come from the file (statnaam), region and population from the table.
    assert m.set_index("code").loc["GM0200", "name"] == "Apeldoorn"
    assert m["population"].sum() == 3_357_147  # CBS, 1 Jan 2025
    # Real Apeldoorn is about 341 km2; Nijmegen about 57 km2.
    area = m.set_index("code").area / 1e6
    assert area["GM0200"] == pytest.approx(341, rel=0.05)
    assert area["GM0268"] == pytest.approx(57, rel=0.1)


def test_real_boundaries_get_points_synthesized_inside_them(real_municipalities):
    region = load_region(spec(sources=real(real_municipalities), select_regions=("VGZ",)))
    assert len(region.municipalities) == 14
    assert region.provenance["fire_stations"].startswith("synthesized")
    joined = gpd.sjoin(region.fire_stations.drop(columns=["region"]),
                       region.municipalities[["code", "geometry"]], predicate="intersects")
    assert len(joined) == len(region.fire_stations)
    assert (joined["code"] == joined["municipality"]).all()
    assert region.demand_points["residents"].sum() == region.municipalities["population"].sum()
    assert region.provenance["regions"].startswith("derived")
    assert region.regions["name"].tolist() == ["VGZ"]


def test_geojson_in_wgs84_is_reprojected(tmp_path, real_municipalities):
    wgs84 = tmp_path / "gemeenten_wgs84.geojson"
    frame = gpd.read_file(real_municipalities).set_crs(28992, allow_override=True)
    frame.to_crs(4326).to_file(wgs84, driver="GeoJSON")
    src = {"municipalities": LayerSource(path=wgs84, columns=CBS_COLUMNS)}
    region = load_region(spec(sources=src, select_codes=("GM0200", "GM0232")))
    assert region.municipalities.crs.to_epsg() == 28992
    minx, miny, maxx, maxy = region.municipalities.total_bounds
    assert 150_000 < minx < maxx < 230_000 and 430_000 < miny < maxy < 520_000


def test_user_layer_with_its_own_column_names(tmp_path):
    stations = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="fire_stations")
    stations = stations.rename(columns={"id": "post_id", "name": "naam",
                                        "has_backup_power": "noodstroom"})
    stations = stations.drop(columns=["municipality", "region"])
    stations["noodstroom"] = stations["noodstroom"].map({True: "ja", False: "nee"})
    path = tmp_path / "posten.shp"
    stations.to_file(path)
    src = {"fire_stations": LayerSource(
        path=path, columns={"post_id": "id", "naam": "name", "noodstroom": "has_backup_power"})}
    region = load_region(spec(sources=src))
    fs = region.fire_stations.set_index("id")
    embedded = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="fire_stations")
    embedded = embedded[embedded["region"].isin(OOST5)].set_index("id")
    assert (fs.loc[embedded.index, "has_backup_power"] == embedded["has_backup_power"]).all()
    # municipality and region are derived from the location.
    assert (fs.loc[embedded.index, "municipality"] == embedded["municipality"]).all()


def test_unknown_regions_are_named_with_what_is_allowed():
    with pytest.raises(InputError) as exc:
        load_region(spec(select_regions=("Twente", "VR26", "Gelderland")))
    assert exc.value.fields() == ["region.select.regions"]
    text = str(exc.value)
    assert "VR26" in text and "Gelderland'" in text and "by code, name or short name" in text
    assert "'Twente'" not in text


def test_a_station_file_without_coordination_points_or_crews_gets_them_filled_in(tmp_path, caplog):
    stations = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="fire_stations")
    stations = stations[stations["region"] == "Twente"]
    path = tmp_path / "kazernes.gpkg"
    stations.drop(columns=["is_coordination_point", "municipality", "region", "crew_volunteer",
                           "crew_professional"]).to_file(path)
    with caplog.at_level("INFO", logger="sim.geo.load"):
        region = load_region(spec(select_regions=("Twente",),
                                  sources={"fire_stations": LayerSource(path=path)}))
    fs = region.fire_stations
    per_municipality = fs.groupby("municipality")["is_coordination_point"].sum()
    assert (per_municipality == 1).all()
    assert set(per_municipality.index) == set(region.municipalities["code"])
    # Backup power first: wherever a municipality has a station with backup, it coordinates.
    with_backup = set(fs.loc[fs["has_backup_power"], "municipality"])
    chosen = fs[fs["is_coordination_point"]].set_index("municipality")["has_backup_power"]
    assert chosen[sorted(with_backup)].all()
    assert region.provenance["fire_stations.is_coordination_point"].startswith("chosen")
    assert region.provenance["fire_stations.crews"].startswith("the region's average")
    assert (region.fire_stations["crew_volunteer"] > 0).all()
    assert "no is_coordination_point column" in caplog.text


def test_a_station_file_that_marks_no_coordination_point_is_kept_with_a_warning(tmp_path,
                                                                                 caplog):
    stations = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="fire_stations")
    stations = stations[stations["region"] == "Twente"].assign(is_coordination_point=False)
    path = tmp_path / "kazernes.gpkg"
    stations.drop(columns=["municipality", "region"]).to_file(path)
    with caplog.at_level("WARNING", logger="sim.geo.load"):
        region = load_region(spec(select_regions=("Twente",),
                                  sources={"fire_stations": LayerSource(path=path)}))
    assert not region.fire_stations["is_coordination_point"].any()
    assert "no station is marked is_coordination_point" in caplog.text


def test_stations_with_backup_power_but_no_generator_columns_get_the_default_generator(
        tmp_path, caplog):
    from conftest import compose_config

    from sim.params.validate import prepare

    stations = gpd.read_file(EMBEDDED_GEOPACKAGE, layer="fire_stations")
    stations = stations[stations["region"] == "Twente"]
    path = tmp_path / "kazernes.gpkg"
    stations.drop(columns=["generator_kva", "tank_l", "municipality", "region"]).to_file(path)
    with caplog.at_level("WARNING", logger="sim.params.station_policy"):
        scenario = prepare(compose_config(["region.select.regions=[Twente]",
                                           f"region.layers.fire_stations.path={path}"]))
    fs = scenario.region.fire_stations
    backed = fs[fs["has_backup_power"]]
    assert len(backed) == int(stations["has_backup_power"].sum()) > 0
    assert (backed["generator_kva"] == scenario.params.stations.generator_kva).all()
    assert (backed["tank_l"] == scenario.params.stations.tank_l).all()
    assert (fs.loc[~fs["has_backup_power"], "generator_kva"] == 0).all()
    assert "have no generator size or tank" in caplog.text
    assert scenario.region.provenance["fire_stations.generator"].endswith("50 kVA, 96 L")
