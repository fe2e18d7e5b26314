"""Real boundaries for the embedded geodata (``sim.geo.boundaries``), on small fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from conftest import REAL_MUNICIPALITIES, REAL_REGIONS

from sim.geo.boundaries import check_regions, read_boundaries, simplify


def _write(path: Path, features: list[tuple[dict, list]]) -> Path:
    """A GeoJSON file without a ``crs`` member, as the CBS/PDOK mirrors publish them."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Polygon", "coordinates": rings}}
        for props, rings in features]}))
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    # Two municipalities side by side (RD metres) with a shared, wiggly border.
    border = [(1000.0, 0.0), (1002.0, 500.0), (1000.0, 1000.0)]
    west = [[(0.0, 0.0), *border, (0.0, 1000.0), (0.0, 0.0)]]
    east = [[(2000.0, 0.0), (2000.0, 1000.0), *reversed(border), (2000.0, 0.0)]]
    municipalities = _write(tmp_path / "gemeente.geojson", [
        ({"statcode": "GM0001", "statnaam": "West"}, west),
        ({"statcode": "GM0002", "statnaam": "Oost"}, east)])
    # The region: a bow tie (invalid, as the source's Zeeland polygon) around both.
    region = [[(-10.0, -10.0), (2010.0, 1010.0), (2010.0, -10.0), (-10.0, 1010.0),
               (-10.0, -10.0)]]
    regions = _write(tmp_path / "regio.geojson",
                     [({"statcode": "VR99", "statnaam": "Proefregio"}, region)])
    return municipalities, regions


def test_files_without_a_crs_are_read_as_declared_and_repaired(files):
    b = read_boundaries(*files, municipalities_crs="EPSG:28992", regions_crs="EPSG:28992")
    assert list(b.municipalities["code"]) == ["GM0001", "GM0002"]
    assert b.municipalities.crs.to_epsg() == 28992
    assert b.municipalities.geometry.is_valid.all()
    assert b.regions.geometry.is_valid.all() and b.regions.geometry.iloc[0].area > 0
    # Without a declared CRS, metres in a file read as longitude/latitude are refused.
    with pytest.raises(ValueError, match="not longitude/latitude"):
        read_boundaries(*files, municipalities_crs=None, regions_crs="EPSG:28992")


def test_simplifying_keeps_shared_borders_shared(files):
    b = read_boundaries(*files, municipalities_crs="EPSG:28992", regions_crs="EPSG:28992")
    out = simplify(b.municipalities, tolerance_m=50.0)
    geoms = out.geometry.to_numpy()
    # The 2 m wiggle of the border is gone, on both sides alike: no gap, no overlap.
    assert shapely.get_num_coordinates(geoms).sum() < shapely.get_num_coordinates(
        b.municipalities.geometry.to_numpy()).sum()
    assert shapely.coverage_is_valid(geoms)
    assert geoms[0].intersection(geoms[1]).area == pytest.approx(0.0)
    assert sum(g.area for g in geoms) == pytest.approx(2000.0 * 1000.0, rel=1e-2)


def test_a_municipality_outside_its_tables_region_is_refused(files):
    b = read_boundaries(*files, municipalities_crs="EPSG:28992", regions_crs="EPSG:28992")
    table = pd.DataFrame({"cbs_code": ["GM0001", "GM0002"], "region_code": ["VR99", "VR99"]})
    check_regions(b, table)  # agrees
    with pytest.raises(ValueError, match="without a boundary"):
        check_regions(b, table.assign(region_code=["VR99", "VR98"]))
    with pytest.raises(ValueError, match="without a polygon"):
        check_regions(b, pd.concat([table, pd.DataFrame(
            {"cbs_code": ["GM0003"], "region_code": ["VR99"]})]))


@pytest.mark.skipif(not REAL_MUNICIPALITIES.is_file(), reason="shared CBS/PDOK files absent")
def test_the_real_boundaries_agree_with_the_national_table():
    b = read_boundaries(REAL_MUNICIPALITIES, REAL_REGIONS, municipalities_crs="EPSG:28992",
                        regions_crs="EPSG:4326")
    assert len(b.municipalities) == 342 and len(b.regions) == 25
    assert b.regions.geometry.is_valid.all()  # Zeeland repaired
    table = pd.read_csv(REAL_MUNICIPALITIES.parent.parent / "reference"
                        / "nl_municipalities_2025.csv")
    check_regions(b, table.rename(columns={"safety_region": "region_code"}))
    assert shapely.coverage_is_valid(simplify(b.municipalities).geometry.to_numpy())
