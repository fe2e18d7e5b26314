"""Planners' sweeps: jobs, failure isolation, the table, its summary and figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL, run_cli
from pandas.testing import assert_frame_equal

from sim.cli.aggregate import main
from sim.cli.main import count_jobs, progress_line
from sim.sweeps.tables import confidence_interval, flatten, gather, parse_overrides, summarise

# --- pure parts ---------------------------------------------------------------------------


def test_overrides_become_parameters():
    params = parse_overrides(["seed=3", "stations.backup_share=0.25", "results_dir=/tmp/x",
                              "hydra.launcher.n_jobs=2", "region.select.regions=[Twente]",
                              "support_points.activation.trigger=order",
                              "staffing.self_mobilisation_h=null"])
    assert params == {"seed": 3, "stations.backup_share": 0.25,
                      "region.select.regions": '["Twente"]',
                      "support_points.activation.trigger": "order",
                      "staffing.self_mobilisation_h": None}


def test_indicators_are_flattened_to_dotted_scalars():
    flat = flatten({"a": {"at_h": {"24": 0.5, "72": 1}, "every_6h": {"0": 1.0}},
                    "b": None, "c": True, "d": "text", "e": {"count": 3}})
    assert flat["a.at_h.24"] == 0.5 and flat["a.at_h.72"] == 1.0
    assert np.isnan(flat["b"]) and flat["c"] == 1.0 and flat["e.count"] == 3.0
    assert "d" not in flat and not any(k.startswith("a.every_6h") for k in flat)


def test_confidence_interval_is_students_t():
    low, high = confidence_interval(np.array([1.0, 2.0, 3.0]))
    # t(0.975, 2) = 4.3027; sd = 1; half width = 4.3027 / sqrt(3)
    assert (low, high) == pytest.approx((2 - 2.48414, 2 + 2.48414), abs=1e-4)
    assert all(np.isnan(confidence_interval(np.array([5.0]))))


def test_job_count_and_progress_line():
    assert count_jobs(["seed=range(1,21)", "stations.backup_share=0,0.25,0.5,1", "x=1"]) == 80
    assert count_jobs(["seed=1"]) == 1
    assert (progress_line(10, 2, 40, 120)
            == "12/40 jobs done (2 failed), 2:00 elapsed, about 4:40 left")
    assert progress_line(40, 0, 40, 3725) == "40/40 jobs done, 1:02:05 elapsed"


def _fake_job(folder: Path, job: int, status: str | None, overrides: list[str],
              indicators: dict | None = None) -> None:
    d = folder / str(job)
    d.mkdir(parents=True)
    if status is not None:
        (d / "status.json").write_text(json.dumps(
            {"status": status, "overrides": overrides,
             "error": "InputError: bad" if status == "failed" else None}))
    if indicators is not None:
        (d / "summary.json").write_text(json.dumps({"indicators": indicators}))


def test_gather_marks_failed_and_running_jobs_and_summarises_over_seeds(tmp_path):
    values = {(0.0, 1): 0.2, (0.0, 2): 0.4, (0.5, 1): 0.6, (0.5, 2): 0.8}
    job = 0
    for (share, seed), value in values.items():
        _fake_job(tmp_path, job, "completed", [f"stations.backup_share={share}", f"seed={seed}"],
                  {"local_points": {"operational_share": {"at_h": {"72": value}}}})
        job += 1
    _fake_job(tmp_path, job, "failed", ["stations.backup_share=-1", "seed=1"])
    _fake_job(tmp_path, job + 1, None, [])  # still running
    (tmp_path / "multirun.yaml").write_text("x: 1\n")
    tables = gather(tmp_path)
    r = tables.results
    assert list(r["job"]) == [0, 1, 2, 3, 4, 5]
    assert list(r["status"]) == ["completed"] * 4 + ["failed", "running"]
    assert tables.failed == ["4"] and r.loc[4, "error"] == "InputError: bad"
    assert tables.parameters == ["stations.backup_share", "seed"]
    assert tables.swept == ["stations.backup_share"]
    col = "local_points.operational_share.at_h.72"
    assert np.isnan(r.loc[4, col])
    s = tables.summary.set_index("stations.backup_share")
    assert s.loc[0.0, "mean"] == pytest.approx(0.3) and s.loc[0.5, "mean"] == pytest.approx(0.7)
    assert s.loc[0.0, "n"] == 2
    low, high = confidence_interval(np.array([0.2, 0.4]))
    assert low < 0  # two seeds: a wide interval, cut to [0, 1] for a share
    assert (s.loc[0.0, "ci_low"], s.loc[0.0, "ci_high"]) == pytest.approx((0.0, min(high, 1)))
    assert s.loc[0.5, "ci_high"] == 1.0


def test_the_aggregation_command_writes_tables_and_figures(tmp_path):
    for job, (a, b, seed) in enumerate([(a, b, s) for a in (0, 1) for b in ("x", "y")
                                        for s in (1, 2)]):
        _fake_job(tmp_path, job, "completed", [f"p={a}", f"q={b}", f"seed={seed}"],
                  {"vulnerable": {"all": {"reached_in_time_share": 0.5 + 0.1 * a + 0.01 * seed}}})
    main([str(tmp_path)])  # returns normally: no job failed
    results = pd.read_csv(tmp_path / "sweep_results.csv")
    assert len(results) == 8
    assert_frame_equal(pd.read_parquet(tmp_path / "sweep_results.parquet"),
                       results.fillna({"error": ""}), check_dtype=False)
    summary = pd.read_csv(tmp_path / "sweep_summary.csv")
    assert len(summary) == 4 and (summary["n"] == 2).all()
    png = tmp_path / "figure_vulnerable.all.reached_in_time_share.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "figure_vulnerable.all.reached_in_time_share.svg").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_aggregation_of_a_missing_folder_or_indicator_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nowhere")])
    assert exc.value.code == 2 and "does not exist" in capsys.readouterr().err
    _fake_job(tmp_path, 0, "completed", ["p=1", "seed=1"], {"a": 1.0})
    _fake_job(tmp_path, 1, "completed", ["p=2", "seed=1"], {"a": 2.0})
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--indicator", "b"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "'b'" in err and "sweep_results.csv" in err


# --- real sweeps ---------------------------------------------------------------------------


def test_a_failing_job_is_isolated_and_named(joblib_sweep):
    proc, sweep = joblib_sweep, joblib_sweep.folder
    assert proc.returncode == 1
    assert "[sweep] 4 jobs" in proc.stderr and "4/4 jobs done (2 failed)" in proc.stderr
    results = pd.read_csv(sweep / "sweep_results.csv")
    failed = results[results["status"] == "failed"]
    assert list(failed["stations.backup_share"]) == [-1, -1]
    assert failed["error"].str.contains("stations.backup_share").all()
    for job in failed["job"]:
        # Named with what tells it from the other jobs, and why it failed.
        seed = int(results.loc[results["job"] == job, "seed"].iloc[0])
        assert f"job {job} (seed={seed} stations.backup_share=-1): InputError" in proc.stderr
        status = json.loads((sweep / str(job) / "status.json").read_text())
        assert status["status"] == "failed" and "-1" in status["error"]
        assert not (sweep / str(job) / "summary.json").exists()
    done = results[results["status"] == "completed"]
    assert list(done["seed"]) == [1, 2] and done["vulnerable.all.cases"].gt(0).all()
    for job in done["job"]:
        assert (sweep / str(job) / "summary.json").exists()


def test_the_aggregation_command_rebuilds_the_same_table(joblib_sweep, tmp_path):
    sweep = tmp_path / "sweep"  # a copy: the shared sweep stays as it was
    shutil.copytree(joblib_sweep.folder, sweep)
    before = pd.read_csv(sweep / "sweep_results.csv")
    summary = pd.read_csv(sweep / "sweep_summary.csv")
    (sweep / "sweep_results.csv").unlink()
    proc = subprocess.run([sys.executable, "-m", "sim.cli.aggregate", str(sweep), "--no-figures"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "failed jobs" in proc.stdout
    assert_frame_equal(pd.read_csv(sweep / "sweep_results.csv"), before)
    assert_frame_equal(pd.read_csv(sweep / "sweep_summary.csv"), summary)


def test_submitit_local_gives_the_same_rows_as_joblib(joblib_sweep, tmp_path):
    joblib_folder = joblib_sweep.folder
    results = tmp_path / "results"
    # Figures and GIS layers off: they do not enter the table and take time.
    off = ["research.figures=false", "research.gis=false"]
    proc = run_cli(["-m", "hydra/launcher=submitit_local", "seed=1,2",
                    "stations.backup_share=0.2", *SMALL, *off], results, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (sweep,) = (results / "sweeps" / "oost5_default").iterdir()
    assert not list(sweep.glob("*/figures"))
    a = pd.read_csv(joblib_folder / "sweep_results.csv")
    a = a[a["status"] == "completed"].drop(columns=["job"]).reset_index(drop=True)
    b = pd.read_csv(sweep / "sweep_results.csv").drop(
        columns=["job", *(o.split("=")[0] for o in off)])
    a = a.drop(columns=["research.formats"])
    assert len(b) == 2
    assert_frame_equal(a[b.columns], b, check_dtype=False)


def test_a_sweep_answers_per_region_and_municipality_and_ends_with_a_headline(joblib_sweep):
    sweep = joblib_sweep.folder
    results = pd.read_csv(sweep / "sweep_results.csv")
    done = results[results["status"] == "completed"]
    areas = pd.read_csv(sweep / "sweep_areas.csv")
    # One row per completed job and area, with the swept parameters beside them.
    assert set(areas["job"]) == set(done["job"])
    regions = areas[areas["area_kind"] == "region"]
    municipalities = areas[areas["area_kind"] == "municipality"]
    assert len(municipalities) > len(regions) > 0
    assert {"seed", "stations.backup_share", "norm_72h_share",
            "within_reach_operational_share"} <= set(areas.columns)
    # A region's row is the sweep table's by_region columns for that job.
    for _, row in regions.iterrows():
        job = done[done["job"] == row["job"]].iloc[0]
        key = f"by_region.{row['area']}.norm_72h_share"
        assert job[key] == pytest.approx(row["norm_72h_share"], nan_ok=True)
    # Municipalities add up to their job's whole.
    for job, group in municipalities.groupby("job"):
        whole = done.loc[done["job"] == job, "all_regions.points_without_grid"].iloc[0]
        assert group["points_without_grid"].sum() == whole
    # The terminal ends with the headline per combination (here: one, over two seeds).
    assert "At the deadline, mean over seeds per combination" in joblib_sweep.stderr
    assert "stations.backup_share=0.2 (2 seeds)" in joblib_sweep.stderr
    mean = done["all_regions.norm_72h_share"].mean()
    assert f"{100 * mean:.1f} %" in joblib_sweep.stderr


def test_the_sweep_headline_lists_numeric_values_in_numeric_order():
    from sim.sweeps.tables import SweepTables, combination_headlines

    results = pd.DataFrame({
        "job": range(6), "status": "completed", "error": "",
        "seed": [1, 2] * 3, "power.fixed.min_autonomy_h": [8, 8, 24, 24, 100, 100],
        "all_regions.norm_72h_share": [0.1, 0.3, 0.5, 0.5, 1.0, 0.9],
        "shortfall.total.local_point.by_cause.tank_dry": [10, 20, 5, 5, 0, 0],
        "shortfall.total.local_point.by_cause.not_decided": [1, 1, 6, 6, 3, 3],
    })
    tables = SweepTables(Path("."), results, pd.DataFrame(),
                         ["seed", "power.fixed.min_autonomy_h"], [])
    rows = combination_headlines(tables)
    assert [r["combination"] for r in rows] == [
        "power.fixed.min_autonomy_h=8 (2 seeds)", "power.fixed.min_autonomy_h=24 (2 seeds)",
        "power.fixed.min_autonomy_h=100 (2 seeds)"]
    assert [r["norm"] for r in rows] == ["20.0 %", "50.0 %", "95.0 %"]
    assert [r["top_cause"] for r in rows] == ["tank dry, waiting for fuel",
                                              "not yet decided to open",
                                              "not yet decided to open"]


def test_bands_of_non_negative_indicators_never_go_below_zero():
    from sim.sweeps.tables import summarise

    results = pd.DataFrame({"status": "completed", "seed": [1, 2, 3], "x": [1, 1, 1],
                            "residents.visits.mean_wait_h": [0.0, 0.0, 3.0],
                            "delta": [-1.0, 0.0, 3.0]})
    out = summarise(results, ["x"], ["residents.visits.mean_wait_h", "delta"]).set_index(
        "indicator")
    assert out.loc["residents.visits.mean_wait_h", "ci_low"] == 0.0  # t-interval: below 0
    assert out.loc["delta", "ci_low"] < 0  # an indicator that can be negative keeps it


def test_the_summary_agrees_with_students_t_indicator_by_indicator():
    """The summary's figures, computed for all indicators at once, are scipy's t interval."""
    from scipy import stats

    rng = np.random.default_rng(7)
    values = rng.normal(0.4, 0.2, size=(7, 4))
    values[2, 1] = np.nan  # a job without the indicator
    values[:, 3] = np.abs(values[:, 3])  # counts: the interval stays at or above zero
    results = pd.DataFrame(values, columns=["a_share", "b_share", "c", "d_count"])
    results.insert(0, "status", "completed")
    results.insert(1, "p", ["x", "x", "x", "y", "y", "y", "z"])  # z: a single seed
    table = summarise(results, ["p"], ["a_share", "b_share", "c", "d_count"])
    assert len(table) == 12
    for row in table.itertuples():
        column = results.loc[results["p"] == row.p, row.indicator].to_numpy(dtype=float)
        column = column[np.isfinite(column)]
        assert row.n == len(column)
        assert row.mean == pytest.approx(column.mean())
        if len(column) < 2:
            assert np.isnan(row.std) and np.isnan(row.ci_low) and np.isnan(row.ci_high)
            continue
        half = stats.t.ppf(0.975, len(column) - 1) * column.std(ddof=1) / np.sqrt(len(column))
        low, high = column.mean() - half, column.mean() + half
        assert (low, high) == pytest.approx(confidence_interval(column))
        if "share" in row.indicator:
            low, high = max(low, 0.0), min(high, 1.0)
        elif (column >= 0).all():
            low = max(low, 0.0)
        assert row.std == pytest.approx(column.std(ddof=1))
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))
    assert table.loc[(table["p"] == "x") & (table["indicator"] == "b_share"), "n"].item() == 2
