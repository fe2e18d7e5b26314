"""The run's large tables as Parquet (default) or CSV, and sweep jobs that keep only a summary.

Every reader (figures, injects, aggregate) works on both formats; the same seed
gives the same values in both; a sweep job with ``tables.keep=summary`` keeps its
summary and small tables only, and the sweep still gathers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import files_under, run_cli, single_run

from sim.results.folder import LARGE_TABLES, read_table, table_file

TWENTE = ["region.select.regions=[Twente]", "horizon_h=80", "research.formats=[png]",
          "injects.enabled=true", "injects.teams=[rot:Twente]", "injects.regions=[Twente]"]


@pytest.mark.slow
def test_csv_on_request_holds_the_same_values_and_every_reader_works(tmp_path):
    parquet = single_run(TWENTE, tmp_path / "p")
    csv = single_run([*TWENTE, "tables.format=csv"], tmp_path / "c")
    for stem in LARGE_TABLES:
        assert table_file(parquet, stem).suffix == ".parquet"
        assert table_file(csv, stem).suffix == ".csv"
        a, b = read_table(parquet, stem), read_table(csv, stem)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), stem
        for column in a.columns:
            if pd.api.types.is_numeric_dtype(a[column]) and not pd.api.types.is_bool_dtype(
                    a[column]):
                assert np.allclose(a[column].to_numpy(float), b[column].to_numpy(float),
                                   rtol=1e-5, equal_nan=True), (stem, column)
    # Figures and injects were drawn from either folder, and agree.
    for folder in (parquet, csv):
        assert (folder / "figures" / "coverage_curve.png").is_file()
        assert (folder / "coverage.gpkg").is_file()
    msel = [pd.read_csv(f / "injects" / "msel_controller.csv") for f in (parquet, csv)]
    assert msel[0]["subject"].tolist() == msel[1]["subject"].tolist()
    assert json.loads((parquet / "summary.json").read_text()) == json.loads(
        (csv / "summary.json").read_text())
    # Parquet is far smaller than CSV.
    size = {f: sum(p.stat().st_size for p in f.iterdir() if p.suffix in (".parquet", ".csv"))
            for f in (parquet, csv)}
    assert size[parquet] * 3 < size[csv]


@pytest.mark.slow
def test_a_sweep_keeping_only_summaries_still_gathers(tmp_path):
    results = tmp_path / "results"
    proc = run_cli(["-m", "seed=1,2", "region.select.regions=[Twente]", "horizon_h=30",
                    "support_points.operational_deadline_h=24", "tables.keep=summary"],
                   results)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (sweep,) = (results / "sweeps" / "oost5_default").iterdir()
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit())
    assert len(jobs) == 2
    for job in jobs:
        names = {p.name for p in job.iterdir()}
        assert names == {"config.yaml", "manifest.json", "summary.json", "headline.md",
                         "sites.csv", "shortfall.csv", "timeseries_region.csv", "status.json"}
        manifest = json.loads((job / "manifest.json").read_text())
        assert manifest["derived_files"] == [] and manifest["tables"]["keep"] == "summary"
        assert all((job / f).exists() for f in manifest["files"])
    table = pd.read_csv(sweep / "sweep_results.csv")
    assert len(table) == 2 and (table["status"] == "completed").all()
    assert sum(p.stat().st_size for p in files_under(sweep)) < 2_000_000


@pytest.mark.slow
def test_bad_table_settings_are_named(tmp_path):
    results = tmp_path / "results"
    proc = run_cli(["tables.format=xlsx", "tables.keep=some"], results)
    assert proc.returncode == 2
    assert "tables.format = 'xlsx'" in proc.stderr and "tables.keep = 'some'" in proc.stderr
    assert files_under(results) == []
