"""Bad input is rejected before anything runs or is written.

Every kind of bad input (unknown keys, wrong types, values out of range, missing
files, layers without a required column, a CRS that is absent or wrong, invalid,
empty or misplaced geometry, duplicate ids) must raise one ``InputError`` that
names the field, shows the offending value and says what is allowed; the
command line must exit non-zero and leave ``results_dir`` as it was.
"""

from __future__ import annotations

import functools
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import pytest
import shapely
from conftest import files_under, run_cli
from shapely.geometry import Point, Polygon

from sim.errors import InputError, Problem
from sim.params.validate import prepare
from sim.paths import EMBEDDED_GEOPACKAGE

# --- helpers -----------------------------------------------------------------------------


def set_key(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``cfg[a][b][c] = value`` for ``dotted = "a.b.c"``."""
    *parents, last = dotted.split(".")
    node = cfg
    for part in parents:
        node = node[part]
    node[last] = value


def rejected(cfg: dict[str, Any]) -> InputError:
    """The ``InputError`` that ``prepare`` raises for ``cfg``."""
    with pytest.raises(InputError) as exc:
        prepare(cfg)
    return exc.value


def assert_problem(error: InputError, field: str, shown: str, *hints: str) -> Problem:
    """``field`` is named once, and its problem shows ``shown`` and every hint."""
    assert error.fields().count(field) == 1, f"{field!r} not named once in {error.fields()}"
    problem = next(p for p in error.problems if p.field == field)
    assert field in str(error)
    assert shown in str(problem), f"{shown!r} not in {problem}"
    for hint in hints:
        assert hint in str(problem), f"{hint!r} not in {problem}"
    return problem


class Expect(NamedTuple):
    """What the error must say: the field, the offending value and hints on what is allowed."""

    field: str
    shown: str
    hints: tuple[str, ...] = ()


#: The default selection: the five safety regions of Oost-5.
OOST5 = ("VNOG", "VGGM", "VGZ", "IJsselland", "Twente")


@functools.cache
def _embedded(layer: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(EMBEDDED_GEOPACKAGE, layer=layer)
    column = "name" if layer == "regions" else "region"
    return frame[frame[column].isin(OOST5)].reset_index(drop=True)


def embedded(layer: str) -> gpd.GeoDataFrame:
    """A fresh copy of one layer of the embedded GeoPackage, cut to Oost-5."""
    return _embedded(layer).copy()


def write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write ``frame`` (its driver from the suffix) and return the path."""
    frame.to_file(path, layer=path.stem if path.suffix == ".gpkg" else None)
    return path


def use_layer(cfg: dict[str, Any], layer: str, path: Path, **source: Any) -> None:
    """Point ``region.layers.<layer>`` at ``path`` (with ``crs``, ``columns``, ``layer``)."""
    cfg["region"]["layers"][layer].update(path=str(path), **source)


def easternmost_vertex() -> tuple[float, float]:
    """The easternmost corner of the region, as (x, y) in EPSG:28992."""
    xy = shapely.get_coordinates(embedded("municipalities").union_all())
    x, y = xy[xy[:, 0].argmax()]
    return float(x), float(y)


def bow_tie_over(polygon: shapely.Geometry) -> Polygon:
    """A self-intersecting quadrilateral over the bounding box of ``polygon``."""
    x0, y0, x1, y1 = polygon.bounds
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def no_crs_shapefile(folder: Path) -> Path:
    """The fire stations' ids and points as a Shapefile without a ``.prj`` (no CRS)."""
    stations = embedded("fire_stations")
    frame = gpd.GeoDataFrame({"id": stations["id"]},
                             geometry=list(stations.geometry.to_numpy()), crs=None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        path = write(frame, folder / "kazernes.shp")
    assert not path.with_suffix(".prj").exists()
    return path


# --- 1. unknown keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "allowed_example"),
    [
        ("outage.foo", "duration"),
        ("foo", "horizon_h"),
        ("outage.duration.hour", "hours"),
        ("region.layers.fire_stations.paht", "path"),
        ("stations.backup_power_shares", "backup_power_share"),
    ],
)
def test_unknown_key_is_named(default_cfg, key, allowed_example):
    set_key(default_cfg, key, 1)
    error = rejected(default_cfg)
    assert error.fields() == [key]
    assert_problem(error, key, "1", "unknown key", "allowed keys", allowed_example)


# --- 2. wrong types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "shown", "allowed"),
    [
        ("horizon_h", "long", "'long'", "a number > 0"),
        ("horizon_h", True, "True", "a number"),
        ("seed", 1.5, "1.5", "a whole number"),
        ("seed", "abc", "'abc'", "a whole number"),
        ("outage.duration.hours", "abc", "'abc'", "a number > 0"),
        ("population.emergency_kit_share", [0.3], "[0.3]", "a number >= 0 and <= 1"),
        ("staffing.min_staff_per_point", 4.5, "4.5", "a whole number"),
        ("region.repair_geometries", "yes", "'yes'", "true or false"),
        ("outage.start", "tomorrow", "'tomorrow'", "ISO format"),
        ("outage.affected.regions", "VNOG", "'VNOG'", "a list of texts"),
        ("stations.backup_power_share", 0.5, "0.5", "a mapping of safety region to share"),
        ("region.layers.fire_stations.columns", {"a": 1}, "{'a': 1}", "map source column"),
        ("name", "my run/1", "'my run/1'", "may only contain"),
        ("outage", 96, "96", "must be a mapping"),
    ],
)
def test_wrong_type_is_named(default_cfg, key, value, shown, allowed):
    set_key(default_cfg, key, value)
    assert_problem(rejected(default_cfg), key, shown, allowed)


@pytest.mark.parametrize(
    "key",
    [
        "seed",
        "outage.duration.hours",
        "stations.backup_power",
        "outage.start",
        "region.repair_geometries",
    ],
)
def test_missing_key_is_required(default_cfg, key):
    *parents, last = key.split(".")
    node = default_cfg
    for part in parents:
        node = node[part]
    del node[last]
    error = rejected(default_cfg)
    assert error.fields() == [key]
    problem = assert_problem(error, key, "None")
    assert "required" in problem.allowed or "needs" in problem.allowed


# --- 3. out of range and unknown names -------------------------------------------------------

_UNIFORM = {"outage.duration.distribution": "uniform"}
_TRIANGULAR = {"outage.duration.distribution": "triangular",
               "outage.duration.low": 48, "outage.duration.high": 120}


@pytest.mark.parametrize(
    ("updates", "expect"),
    [
        pytest.param({"outage.duration.hours": -5},
                     Expect("outage.duration.hours", "-5", ("> 0", "<= 672")), id="duration<0"),
        pytest.param({"outage.duration.hours": 0},
                     Expect("outage.duration.hours", "0", ("> 0",)), id="duration=0"),
        pytest.param({"outage.duration.hours": 10_000},
                     Expect("outage.duration.hours", "10000", ("<= 672",)), id="duration>4w"),
        pytest.param({"population.emergency_kit_share": 1.5},
                     Expect("population.emergency_kit_share", "1.5", (">= 0 and <= 1",)),
                     id="share>1"),
        pytest.param({"staffing.reservist_share": -0.1},
                     Expect("staffing.reservist_share", "-0.1", (">= 0 and <= 1",)),
                     id="share<0"),
        pytest.param({"stations.backup_power_share": {"Twente": 1.2}},
                     Expect("stations.backup_power_share.Twente", "1.2", (">= 0 and <= 1",)),
                     id="region-share>1"),
        pytest.param({"stations.backup_power_share": {"Limburg": 0.5}},
                     Expect("stations.backup_power_share", "Limburg",
                            ("by code, name or short name", "Limburg-Noord", "VR01-VR25")),
                     id="region-share-unknown-region"),
        pytest.param({"horizon_h": 0}, Expect("horizon_h", "0", ("> 0",)), id="horizon=0"),
        pytest.param({"stations.backup_share": 0.5, "stations.backup_power": "all"},
                     Expect("stations.backup_share", "0.5", ("backup_power=all",)),
                     id="backup-share-with-all"),
        pytest.param({"support_points.activation.policy": "priority"},
                     Expect("support_points.activation.priority", "[]",
                            ("needs a list of site types",)), id="priority-without-list"),
        pytest.param({"support_points.activation.priority": ["castle"]},
                     Expect("support_points.activation.priority", "['castle']",
                            ("site type", "candidate site id")), id="priority-unknown-type"),
        pytest.param({"staffing.staff_per_point": 2},
                     Expect("staffing.staff_per_point", "2",
                            ("at least min_staff_per_point (4)",)), id="staff-target<min"),
        pytest.param({"population.access.walk_km": 5},
                     Expect("population.access.walk_km", "5", ("cycle_km",)),
                     id="walk>cycle"),
        pytest.param({"seed": -1}, Expect("seed", "-1", ("from 0 to",)), id="seed<0"),
        pytest.param({"region.network.road_speed_kmh": 0},
                     Expect("region.network.road_speed_kmh", "0", ("> 0",)), id="road-speed=0"),
        pytest.param({"region.network.local_speed_kmh": 0},
                     Expect("region.network.local_speed_kmh", "0", ("> 0",)),
                     id="local-speed=0"),
        pytest.param({"region.network.detour_factor": 0.5},
                     Expect("region.network.detour_factor", "0.5", (">= 1",)), id="detour<1"),
        pytest.param({"region.snap_tolerance_m": -1},
                     Expect("region.snap_tolerance_m", "-1", (">= 0",)), id="snap<0"),
        pytest.param({"support_points.operational_deadline_h": 200},
                     Expect("support_points.operational_deadline_h", "200",
                            ("must not exceed horizon_h (168)",)), id="deadline>horizon"),
        pytest.param({**_UNIFORM, "outage.duration.low": 100, "outage.duration.high": 50},
                     Expect("outage.duration.low/high", "[100.0, 50.0]", ("low < high",)),
                     id="uniform-low>high"),
        pytest.param({**_UNIFORM, "outage.duration.low": 72, "outage.duration.high": 72},
                     Expect("outage.duration.low/high", "[72.0, 72.0]", ("low < high",)),
                     id="uniform-low=high"),
        pytest.param({**_UNIFORM, "outage.duration.low": 48},
                     Expect("outage.duration.low/high", "[48.0, None]", ("needs both",)),
                     id="uniform-no-high"),
        pytest.param({**_TRIANGULAR, "outage.duration.mode": 200},
                     Expect("outage.duration.mode", "200", ("between low (48) and high (120)",)),
                     id="triangular-mode>high"),
        pytest.param({**_TRIANGULAR, "outage.duration.mode": 24},
                     Expect("outage.duration.mode", "24", ("between low (48) and high (120)",)),
                     id="triangular-mode<low"),
        pytest.param(_TRIANGULAR, Expect("outage.duration.mode", "None", ("needs a mode",)),
                     id="triangular-no-mode"),
        pytest.param({"outage.duration.low": 10},
                     Expect("outage.duration.low", "10", ("only used by uniform or triangular",)),
                     id="fixed-with-low"),
        pytest.param({"outage.duration.distribution": "normal"},
                     Expect("outage.duration.distribution", "'normal'",
                            ("one of", "'triangular'")), id="unknown-distribution"),
        pytest.param({"stations.backup_power": "some"},
                     Expect("stations.backup_power", "'some'", ("one of", "'shares'")),
                     id="unknown-backup-policy"),
        pytest.param({"stations.coordination_points": "all"},
                     Expect("stations.coordination_points", "'all'", ("one of",)),
                     id="unknown-coordination-policy"),
        pytest.param({"outage.affected.regions": ["VNOG", "Nowhere"]},
                     Expect("outage.affected.regions", "['Nowhere']",
                            ("by code, name or short name", "Twente")),
                     id="unknown-affected-region"),
        pytest.param({"outage.affected.municipalities": ["GM0200", "GM9999"]},
                     Expect("outage.affected.municipalities", "['GM9999']", ("CBS codes",)),
                     id="unknown-affected-municipality"),
        pytest.param({"region.select.codes": ["GM0200", "GM9999"]},
                     Expect("region.select.codes", "['GM9999']",
                            ("codes not in the municipalities layer",)),
                     id="unknown-selected-code"),
        pytest.param({"region.select.regions": ["Limburg"]},
                     Expect("region.select.regions", "['Limburg']",
                            ("by code, name or short name", "VNOG", "Limburg-Zuid")),
                     id="unknown-selected-region"),
        pytest.param({"region.layers.fire_stations.crs": "EPSG:99999"},
                     Expect("region.layers.fire_stations.crs", "'EPSG:99999'",
                            ("a CRS pyproj knows",)), id="unknown-crs"),
        pytest.param({"comms.meldkamers": {"default": "GM9999"}},
                     Expect("comms.meldkamers.default", "'GM9999'",
                            ("CBS code of a loaded municipality",)),
                     id="unknown-default-meldkamer"),
        pytest.param({"fuel.depot_municipalities": {"default": "GM9999"}},
                     Expect("fuel.depot_municipalities.default", "'GM9999'",
                            ("CBS code of a selected municipality",)),
                     id="unknown-default-depot"),
        pytest.param({"region.layers.fire_stations.layer": "kazernes"},
                     Expect("region.layers.fire_stations.layer", "'kazernes'",
                            ("one of", "'fire_stations'")), id="unknown-layer-name"),
    ],
)
def test_out_of_range_is_named(default_cfg, updates, expect):
    for key, value in updates.items():
        set_key(default_cfg, key, value)
    assert_problem(rejected(default_cfg), expect.field, expect.shown, *expect.hints)


@pytest.mark.parametrize(("key", "value", "field"), [
    ("fuel.trucks_per_region", {"default": -1}, "fuel.trucks_per_region.default"),
    ("power.fixed.technicians_per_region", {"default": -1},
     "power.fixed.technicians_per_region.default"),
    ("power.mobile.per_region", {"default": -2, "VGZ": -3}, "power.mobile.per_region.default"),
    ("comms.meldkamers", {"default": "GM9999"}, "comms.meldkamers.default"),
])
def test_a_rejected_default_brings_no_follow_on_problems(default_cfg, key, value, field):
    set_key(default_cfg, key, value)
    error = rejected(default_cfg)
    # Only the values the user gave are named; no region is blamed for the default.
    assert field in error.fields()
    assert all(f.startswith(key) for f in error.fields()), error.fields()
    assert len(error.problems) == len(value), str(error)


# --- 4. every problem at once ----------------------------------------------------------------


def test_every_problem_is_reported_at_once(default_cfg, tmp_path):
    set_key(default_cfg, "seed", -1)
    set_key(default_cfg, "population.emergency_kit_share", 1.5)
    set_key(default_cfg, "outage.duration.hours", -5)
    set_key(default_cfg, "outage.foo", 1)
    use_layer(default_cfg, "fire_stations", tmp_path / "absent.gpkg")
    error = rejected(default_cfg)
    expected = {
        "seed": "-1",
        "population.emergency_kit_share": "1.5",
        "outage.duration.hours": "-5",
        "outage.foo": "1",
        "region.layers.fire_stations.path": "absent.gpkg",
    }
    assert sorted(error.fields()) == sorted(expected)
    assert f"({len(expected)} problems)" in str(error)
    for field, shown in expected.items():
        assert_problem(error, field, shown)


def test_problems_in_several_layer_files_are_reported_together(default_cfg, tmp_path):
    stations = embedded("fire_stations")
    stations.loc[1, "id"] = stations.loc[0, "id"]
    use_frame(default_cfg, "fire_stations", stations, tmp_path)
    use_layer(default_cfg, "support_point_candidates", tmp_path / "absent.geojson")
    use_frame(default_cfg, "demand_points", embedded("demand_points").drop(columns="residents"),
              tmp_path)
    error = rejected(default_cfg)
    assert sorted(error.fields()) == sorted([
        "fire_stations.id",
        "region.layers.support_point_candidates.path",
        "region.layers.demand_points.columns",
    ])
    assert_problem(error, "fire_stations.id", str(stations.loc[0, "id"]), "unique")
    assert_problem(error, "region.layers.demand_points.columns", "residents")


# --- 5.-14. bad geodata ----------------------------------------------------------------------

#: Each case writes a bad file under tmp_path, points the config at it and says what to expect.
Case = Callable[[dict[str, Any], Path], Expect]
GEODATA_CASES: dict[str, Case] = {}


def geodata_case() -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        GEODATA_CASES[fn.__name__] = fn
        return fn

    return register


def use_frame(cfg: dict[str, Any], layer: str, frame: gpd.GeoDataFrame, tmp: Path,
              suffix: str = ".gpkg", **source: Any) -> None:
    """Write ``frame`` to ``tmp/<layer><suffix>`` and read ``layer`` from it."""
    use_layer(cfg, layer, write(frame, tmp / f"{layer}{suffix}"), **source)


def station_moved_to(cfg: dict[str, Any], tmp: Path, point: Point) -> str:
    """Read the embedded fire stations with one moved to ``point``; return that station's id."""
    stations = embedded("fire_stations")
    stations.loc[5, "geometry"] = point
    use_frame(cfg, "fire_stations", stations, tmp)
    return str(stations.loc[5, "id"])


@geodata_case()
def missing_geopackage(cfg, tmp):
    set_key(cfg, "region.geopackage", str(tmp / "absent.gpkg"))
    return Expect("region.geopackage", "absent.gpkg", ("must be an existing file",))


@geodata_case()
def missing_layer_file(cfg, tmp):
    use_layer(cfg, "fire_stations", tmp / "absent.gpkg")
    return Expect("region.layers.fire_stations.path", "absent.gpkg", ("must be an existing file",))


@geodata_case()
def unsupported_file_type(cfg, tmp):
    path = tmp / "fire_stations.csv"
    path.write_text("id,name\nFS-1,Kazerne\n", encoding="utf-8")
    use_layer(cfg, "fire_stations", path)
    return Expect("region.layers.fire_stations.path", "fire_stations.csv", (".gpkg", ".shp"))


@geodata_case()
def file_that_is_not_a_vector_file(cfg, tmp):
    path = tmp / "fire_stations.gpkg"
    path.write_text("not a GeoPackage", encoding="utf-8")
    use_layer(cfg, "fire_stations", path)
    return Expect("region.layers.fire_stations.path", "fire_stations.gpkg",
                  ("could not be opened as a vector file",))


@geodata_case()
def geopackage_with_two_layers_and_no_layer_name(cfg, tmp):
    path = tmp / "kazernes.gpkg"
    for name in ("noord", "zuid"):
        embedded("fire_stations").to_file(path, layer=name)
    use_layer(cfg, "fire_stations", path)
    return Expect("region.layers.fire_stations.layer", "None",
                  ("holds layers ['noord', 'zuid']", "name the one to use"))


@geodata_case()
def stations_without_backup_power_column(cfg, tmp):
    use_frame(cfg, "fire_stations", embedded("fire_stations").drop(columns="has_backup_power"),
              tmp)
    return Expect("region.layers.fire_stations.columns", "has_backup_power",
                  ("layer fire_stations lacks required column", "map a column",
                   "region.layers.fire_stations.columns"))


@geodata_case()
def candidates_without_capacity_column(cfg, tmp):
    use_frame(cfg, "support_point_candidates",
              embedded("support_point_candidates").drop(columns="capacity"), tmp, ".geojson")
    return Expect("region.layers.support_point_candidates.columns", "capacity",
                  ("lacks required column", "region.layers.support_point_candidates.columns"))


@geodata_case()
def municipalities_without_code_column(cfg, tmp):
    use_frame(cfg, "municipalities",
              embedded("municipalities").rename(columns={"code": "statcode"}), tmp)
    return Expect("region.layers.municipalities.columns", "['code']",
                  ("lacks required column", "statcode", "region.layers.municipalities.columns"))


@geodata_case()
def mapping_from_absent_column(cfg, tmp):
    stations = embedded("fire_stations").rename(columns={"has_backup_power": "noodstroom"})
    use_frame(cfg, "fire_stations", stations, tmp, columns={"nood_stroom": "has_backup_power"})
    return Expect("region.layers.fire_stations.columns", "nood_stroom",
                  ("has no column ['nood_stroom']", "noodstroom"))


@geodata_case()
def mapping_on_the_embedded_layer(cfg, tmp):
    set_key(cfg, "region.layers.fire_stations.columns", {"statcode": "id"})
    return Expect("region.layers.fire_stations.columns", "statcode",
                  ("has no column ['statcode']", "region.layers.fire_stations.path is null"))


@geodata_case()
def mapping_to_unknown_column(cfg, tmp):
    use_frame(cfg, "fire_stations", embedded("fire_stations"), tmp, columns={"name": "naam"})
    return Expect("region.layers.fire_stations.columns", "naam",
                  ("unknown column(s) ['naam']", "has_backup_power"))


@geodata_case()
def wrongly_typed_column(cfg, tmp):
    stations = embedded("fire_stations")
    stations["has_backup_power"] = stations["has_backup_power"].astype(str)
    stations.loc[0, "has_backup_power"] = "misschien"
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.has_backup_power", "misschien", ("must be of type bool",))


@geodata_case()
def station_with_an_infinite_tank(cfg, tmp):
    stations = embedded("fire_stations")
    stations["tank_l"] = 500.0
    stations.loc[3, "tank_l"] = float("inf")
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.tank_l", "inf", ("finite number <= 100000",
                                                  str(stations.loc[3, "id"])))


@geodata_case()
def station_with_a_generator_of_1e300_kva(cfg, tmp):
    stations = embedded("fire_stations")
    stations["generator_kva"] = 60.0
    stations.loc[2, "generator_kva"] = 1e300
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.generator_kva", "1e+300", ("<= 5000",))


@geodata_case()
def station_name_with_escape_codes(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[4, "name"] = "Post\x1b[31m rood\x07"
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.name", "x1b", ("control characters",
                                                str(stations.loc[4, "id"])))


@geodata_case()
def station_name_that_is_a_spreadsheet_formula(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[1, "name"] = '=HYPERLINK("http://evil","x")'
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.name", "HYPERLINK", ("spreadsheet formula",
                                                      str(stations.loc[1, "id"])))


@geodata_case()
def capacity_that_is_a_word_in_a_later_row(cfg, tmp):
    sites = embedded("support_point_candidates")
    sites["capacity"] = sites["capacity"].astype(object)
    sites.loc[3, "capacity"] = "veel"
    use_frame(cfg, "support_point_candidates", sites, tmp)
    return Expect("support_point_candidates.capacity", "veel",
                  ("must be of type int", str(sites.loc[3, "id"]), "row 4"))


@geodata_case()
def population_that_is_a_word(cfg, tmp):
    towns = embedded("municipalities")
    towns["population"] = towns["population"].astype(object)
    towns.loc[5, "population"] = "veel"
    use_frame(cfg, "municipalities", towns, tmp)
    return Expect("municipalities.population", "veel",
                  ("must be of type int", str(towns.loc[5, "code"]), "row 6",
                   "municipalities.gpkg"))


@geodata_case()
def fractional_population(cfg, tmp):
    towns = embedded("municipalities")
    towns["population"] = towns["population"].astype(float)
    towns.loc[2, "population"] = 1234.5
    use_frame(cfg, "municipalities", towns, tmp)
    return Expect("municipalities.population", "1234.5",
                  ("a whole number", str(towns.loc[2, "code"])))


@geodata_case()
def fractional_capacity(cfg, tmp):
    sites = embedded("support_point_candidates")
    sites["capacity"] = sites["capacity"].astype(float)
    sites.loc[6, "capacity"] = 12.5
    use_frame(cfg, "support_point_candidates", sites, tmp)
    return Expect("support_point_candidates.capacity", "12.5",
                  ("a whole number", str(sites.loc[6, "id"])))


def municipalities_needing_the_table(cfg: dict[str, Any], tmp: Path, table: Path) -> None:
    """Municipal boundaries without region and population: the table must fill them."""
    frame = embedded("municipalities")[["code", "name", "geometry"]]
    use_frame(cfg, "municipalities", frame, tmp)
    set_key(cfg, "region.municipality_table", str(table))


@geodata_case()
def empty_municipality_table(cfg, tmp):
    (tmp / "table.csv").write_bytes(b"")
    municipalities_needing_the_table(cfg, tmp, tmp / "table.csv")
    return Expect("region.municipality_table", "table.csv", ("is empty",))


@geodata_case()
def binary_municipality_table(cfg, tmp):
    (tmp / "table.csv").write_bytes(bytes(range(128, 256)) * 3)
    municipalities_needing_the_table(cfg, tmp, tmp / "table.csv")
    return Expect("region.municipality_table", "table.csv", ("not a readable UTF-8 CSV",))


@geodata_case()
def municipality_table_matching_no_code(cfg, tmp):
    (tmp / "table.csv").write_text("cbs_code,region,population,population_year\n"
                                   "XX01,Noord,100,2025\n", encoding="utf-8")
    municipalities_needing_the_table(cfg, tmp, tmp / "table.csv")
    return Expect("region.municipality_table", "table.csv",
                  ("holds none of the", "XX01", "GM0"))


@geodata_case()
def geojson_without_features(cfg, tmp):
    (tmp / "stations.geojson").write_text('{"type": "FeatureCollection", "features": []}',
                                          encoding="utf-8")
    use_layer(cfg, "fire_stations", tmp / "stations.geojson")
    return Expect("region.layers.fire_stations.path", "stations.geojson", ("no features",))


@geodata_case()
def shapefile_without_crs(cfg, tmp):
    use_layer(cfg, "fire_stations", no_crs_shapefile(tmp))
    return Expect("region.layers.fire_stations.crs", "None",
                  ("kazernes.shp has no CRS", "declare the CRS", "EPSG:28992"))


@geodata_case()
def wgs84_file_declared_as_rd(cfg, tmp):
    use_frame(cfg, "municipalities", embedded("municipalities").to_crs("EPSG:4326"), tmp,
              ".geojson", crs="EPSG:28992")
    return Expect("region.layers.municipalities.crs", "'EPSG:28992'",
                  ("municipalities.geojson", "outside the Netherlands",
                   "declare the CRS the file really uses"))


@geodata_case()
def bow_tie_municipality(cfg, tmp):
    municipalities = embedded("municipalities")
    municipalities.loc[3, "geometry"] = bow_tie_over(municipalities.geometry.iloc[3])
    use_frame(cfg, "municipalities", municipalities, tmp)
    return Expect("municipalities.geometry", str(municipalities.loc[3, "code"]),
                  ("invalid geometries", "Self-intersection", "region.repair_geometries=true"))


@geodata_case()
def null_geometry(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[7, "geometry"] = None
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.geometry", str(stations.loc[7, "id"]), ("without geometry",))


@geodata_case()
def empty_geometry(cfg, tmp):
    municipalities = embedded("municipalities")
    municipalities.loc[2, "geometry"] = Polygon()
    use_frame(cfg, "municipalities", municipalities, tmp)
    return Expect("municipalities.geometry", str(municipalities.loc[2, "code"]),
                  ("without geometry",))


@geodata_case()
def only_null_geometries(cfg, tmp):
    stations = embedded("fire_stations")
    stations["geometry"] = None
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.geometry", str(stations.loc[0, "id"]), ("without geometry",))


@geodata_case()
def duplicate_station_ids(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[9, "id"] = stations.loc[4, "id"]
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.id", str(stations.loc[4, "id"]), ("ids must be unique",))


@geodata_case()
def duplicate_municipality_codes(cfg, tmp):
    municipalities = embedded("municipalities")
    municipalities.loc[1, "code"] = municipalities.loc[0, "code"]
    use_frame(cfg, "municipalities", municipalities, tmp)
    return Expect("municipalities.code", str(municipalities.loc[0, "code"]),
                  ("ids must be unique",))


@geodata_case()
def negative_residents(cfg, tmp):
    points = embedded("demand_points")
    points.loc[3, "residents"] = -5
    use_frame(cfg, "demand_points", points, tmp)
    return Expect("demand_points.residents", "-5", ("must be >= 0",))


@geodata_case()
def negative_population(cfg, tmp):
    municipalities = embedded("municipalities")
    municipalities.loc[0, "population"] = -5
    use_frame(cfg, "municipalities", municipalities, tmp)
    return Expect("municipalities.population", "-5", ("must be >= 0",))


@geodata_case()
def negative_crew(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[2, "crew_volunteer"] = -3
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.crew_volunteer", "-3", (">= 0",))


@geodata_case()
def negative_generator(cfg, tmp):
    stations = embedded("fire_stations")
    stations.loc[2, "generator_kva"] = -50.0
    use_frame(cfg, "fire_stations", stations, tmp)
    return Expect("fire_stations.generator_kva", "-50", (">= 0",))


@geodata_case()
def station_50_km_outside(cfg, tmp):
    station = station_moved_to(cfg, tmp, Point(50_000, 350_000))
    return Expect("fire_stations.geometry", station,
                  ("outside every municipality", "region.snap_tolerance_m = 100"))


@geodata_case()
def station_50_m_outside_with_10_m_tolerance(cfg, tmp):
    x, y = easternmost_vertex()
    station = station_moved_to(cfg, tmp, Point(x + 50, y))
    set_key(cfg, "region.snap_tolerance_m", 10)
    return Expect("fire_stations.geometry", station,
                  ("outside every municipality", "region.snap_tolerance_m = 10 m"))


@geodata_case()
def points_as_municipalities(cfg, tmp):
    municipalities = embedded("municipalities")
    municipalities["geometry"] = municipalities.representative_point()
    use_frame(cfg, "municipalities", municipalities, tmp)
    return Expect("municipalities.geometry", "Point", ("must be Polygon or MultiPolygon",))


@geodata_case()
def polygons_as_fire_stations(cfg, tmp):
    stations = embedded("fire_stations")
    stations["geometry"] = stations.buffer(25)
    use_frame(cfg, "fire_stations", stations, tmp, ".geojson")
    return Expect("fire_stations.geometry", "Polygon", ("geometry type must be Point",))


@pytest.mark.filterwarnings("ignore:GeoSeries.(isna|notna):UserWarning")
@pytest.mark.parametrize("case", list(GEODATA_CASES))
def test_bad_geodata_is_named(default_cfg, tmp_path, case):
    expect = GEODATA_CASES[case](default_cfg, tmp_path)
    error = rejected(default_cfg)
    assert error.fields() == [expect.field]
    assert_problem(error, expect.field, expect.shown, *expect.hints)


def test_real_rd_file_without_crs_is_rejected_as_impossible_wgs84(default_cfg,
                                                                   real_municipalities):
    use_layer(default_cfg, "municipalities", real_municipalities,
              columns={"statcode": "code", "statnaam": "name"})
    error = rejected(default_cfg)
    assert error.fields() == ["region.layers.municipalities.crs"]
    assert_problem(error, "region.layers.municipalities.crs", "EPSG:4326",
                   real_municipalities.name, "impossible for EPSG:4326",
                   "region.layers.municipalities.crs: EPSG:28992")


def test_invalid_geometry_is_accepted_when_repair_is_asked(default_cfg, tmp_path):
    expect = bow_tie_municipality(default_cfg, tmp_path)
    set_key(default_cfg, "region.repair_geometries", True)
    municipalities = prepare(default_cfg).region.municipalities.set_index("code")
    assert expect.shown in municipalities.index
    assert municipalities.geometry.is_valid.all()
    assert municipalities.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_station_just_outside_is_snapped_within_tolerance(default_cfg, tmp_path):
    x, y = easternmost_vertex()
    station = station_moved_to(default_cfg, tmp_path, Point(x + 50, y))
    assert default_cfg["region"]["snap_tolerance_m"] == 100
    region = prepare(default_cfg).region
    row = region.fire_stations.set_index("id").loc[station]
    polygon = region.municipalities.set_index("code").geometry[row["municipality"]]
    assert polygon.distance(row.geometry) == pytest.approx(50, abs=1e-6)


# --- 1., 2. and 15. the command line -----------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("outage.foo=1", ("outage.foo", "Key 'foo' not in")),
        ("outage.duration.hours=abc", ("outage.duration.hours", "'abc'")),
    ],
)
def test_cli_rejects_unknown_key_and_wrong_type_at_compose_time(tmp_path, override, names):
    results = tmp_path / "results"
    proc = run_cli([override], results)
    assert proc.returncode == 2, proc.stderr
    for text in names:
        assert text in proc.stderr
    assert not results.exists()


class BadRun(NamedTuple):
    """One rejected command line: the process, its results folder and what it must name."""

    proc: Any
    results: Path
    expect: Expect


def bad_cli_args(kind: str, folder: Path) -> tuple[list[str], Expect]:
    """Command-line overrides for one kind of bad input, and what stderr must name."""
    if kind == "negative-duration":
        return ["outage.duration.hours=-5"], Expect("outage.duration.hours", "-5", ("> 0",))
    if kind == "missing-file":
        return ([f"region.layers.fire_stations.path={folder / 'absent.gpkg'}"],
                Expect("region.layers.fire_stations.path", "absent.gpkg", ("existing file",)))
    assert kind == "no-crs"
    return ([f"region.layers.fire_stations.path={no_crs_shapefile(folder)}"],
            Expect("region.layers.fire_stations.crs", "kazernes.shp", ("has no CRS",)))


@pytest.fixture(scope="module", params=["negative-duration", "missing-file", "no-crs"])
def bad_cli_run(request, tmp_path_factory) -> BadRun:
    """One rejected CLI run per kind, shared by the tests that inspect it."""
    folder = tmp_path_factory.mktemp(request.param)
    args, expect = bad_cli_args(request.param, folder)
    results = folder / "results"
    return BadRun(run_cli(args, results), results, expect)


def test_cli_bad_input_exits_2_naming_the_field(bad_cli_run):
    proc, results, expect = bad_cli_run
    assert proc.returncode == 2, proc.stderr
    assert "error: invalid input (1 problem)" in proc.stderr
    for text in (expect.field, expect.shown, *expect.hints):
        assert text in proc.stderr
    assert "Traceback" not in proc.stderr
    assert files_under(results) == []


def test_cli_bad_input_leaves_no_folder(bad_cli_run):
    runs = bad_cli_run.results / "runs"
    leftovers = sorted(p for p in runs.rglob("*") if p.is_dir()) if runs.exists() else []
    assert leftovers == []


# --- 16. nothing already written is lost -------------------------------------------------------


def _snapshot(results: Path) -> dict[Path, bytes]:
    return {p.relative_to(results): p.read_bytes() for p in files_under(results)}


def test_bad_input_leaves_earlier_runs_untouched(default_run, tmp_path):
    results = tmp_path / "results"
    # An earlier run in the same results folder: a copy of the session's default run.
    shutil.copytree(default_run, results / "runs" / "oost5_default" / default_run.name)
    before = _snapshot(results)
    run_dirs = {p.parent for p in before if p.name == "manifest.json"}
    assert len(run_dirs) == 1
    assert {p.parent for p in before} <= {*run_dirs, *(d / "figures" for d in run_dirs)}
    assert {p.name for p in before} >= {"manifest.json", "summary.json", "config.yaml",
                                        "region.gpkg", "events.parquet"}
    folders_before = sorted(p for p in results.rglob("*") if p.is_dir())

    bad = run_cli(["outage.duration.hours=-5"], results)
    assert bad.returncode == 2, bad.stderr
    assert "outage.duration.hours" in bad.stderr
    assert _snapshot(results) == before
    assert sorted(p for p in results.rglob("*") if p.is_dir()) == folders_before


LITRE_KEYS = [
    ("stations.tank_l", "stations.autonomy_h"),
    ("support_points.tank_l", "support_points.autonomy_h"),
    ("power.mobile.tank_l", "power.mobile.autonomy_h"),
]


@pytest.mark.parametrize(("old", "new"), LITRE_KEYS)
def test_litre_keys_are_rejected_naming_the_hours_that_replace_them(default_cfg, old, new):
    *parents, last = old.split(".")
    node = default_cfg
    for part in parents:
        node = node[part]
    node[last] = 100
    error = rejected(default_cfg)
    assert_problem(error, old, "100", f"renamed: give {new}")


def test_litre_keys_on_the_command_line_are_named_before_hydra(tmp_path):
    # Before Hydra (which would only say the key is unknown): each one, in one command.
    proc = run_cli([f"{old}=100" for old, _ in LITRE_KEYS], tmp_path / "results")
    assert proc.returncode == 2
    for old, new in LITRE_KEYS:
        assert f"{old} was renamed: give {new}" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_autonomy_is_hours_at_full_load_for_every_generator_kind(default_cfg):
    for key, value in (("stations.autonomy_h", 10), ("support_points.autonomy_h", 10)):
        set_key(default_cfg, key, value)
    default_cfg["power"]["mobile"]["autonomy_h"] = 10
    params = prepare(default_cfg).params
    power = params.power
    stations, points = params.stations, params.support_points
    assert stations.tank_l == pytest.approx(10 * power.litres_per_hour(stations.generator_kva, 1))
    assert points.tank_l == pytest.approx(10 * power.litres_per_hour(points.generator_kva, 1))
    assert power.mobile_tank_l == pytest.approx(10 * power.litres_per_hour(power.mobile_kva, 1))
    assert stations.tank_l == pytest.approx(120.0)  # 50 kVA at 12 L/h (consumption table)
