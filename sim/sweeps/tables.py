"""Gathering a sweep: one table of every job's parameters and indicators, and a summary.

A sweep folder (``results/sweeps/<scenario>/<timestamp>/``) holds one folder
per job (``0``, ``1``, ...). Each job writes ``status.json`` (its overrides,
whether it completed or failed, and the error) and, when it completed, its run
files with ``summary.json``. This module reads those folders, also while a
sweep is still running or after it was interrupted, and writes:

- ``sweep_results.csv`` / ``.parquet``: one row per job: ``job``, ``status``
  (completed; failed; lost: its task ended without a result, or it never ran
  and its sweep has ended, see ``sim.sweeps.jobs``; running: no status yet),
  ``error`` (for a lost job, why), one column per
  override key (the swept parameters, and any other override given), and one
  column per indicator (the scalar indicators of ``summary.json`` under dotted
  names, e.g. ``local_points.operational_share.at_h.72``; the series every 6
  hours and per municipality stay in each job's folder);
- ``sweep_summary.csv`` / ``.parquet``: per combination of the parameters other
  than ``seed`` and per indicator: the number of completed jobs, the mean, the
  standard deviation and a 95 % confidence interval of the mean over seeds
  (Student's t; for shares cut to [0, 1], for indicators that never go below
  zero cut at 0);
and ``sim.sweeps.figures`` draws a sweep over one or two parameters.

Files are written atomically. ``blackout-sim-aggregate <folder>`` does the same
for any sweep folder; it exits with status 1 and names the failed and lost jobs
if any, with the command that reruns them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import stdtrit

from sim.results.files import write_atomic
from sim.results.headline import percent, table
from sim.results.shortfall import CAUSE_TEXT
from sim.sweeps.jobs import (
    SweepPlan,
    raised_limits,
    read_plan,
    rerun_command,
    without_status,
)
from sim.sweeps.status import STATUS_FILE

RESULTS_STEM = "sweep_results"
SUMMARY_STEM = "sweep_summary"
#: Columns that describe the job, not a parameter or an indicator.
JOB_COLUMNS = ("job", "status", "error")
#: Indicator subtrees left out of the table (long series; kept in each job's folder).
_SKIP = ("every_6h", "min_after_deadline_by_municipality", "delay_h_by_channels",
         "hops_by_channel", "by_municipality", "shortfall.by_region")
AREAS_STEM = "sweep_areas"
#: Where each job's indicators per area are in its summary: kind of area, key.
AREA_KINDS = (("region", "by_region"), ("municipality", "by_municipality"))
#: Overrides that say where or how to run, not what to run.
_NOT_PARAMETERS = ("results_dir",)


@dataclass(frozen=True)
class SweepTables:
    """What a sweep folder holds, gathered."""

    folder: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    parameters: list[str]
    indicators: list[str]
    #: One row per completed job and area (safety region, municipality): its indicators.
    areas: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    #: The sweep's ``jobs.json`` (None for a sweep written without one).
    plan: SweepPlan | None = None

    @property
    def failed(self) -> list[str]:
        """Job numbers that failed."""
        return [str(j) for j in self.results.loc[self.results["status"] == "failed", "job"]]

    @property
    def lost(self) -> list[str]:
        """Job numbers whose task ended without a result, or that never ran."""
        return [str(j) for j in self.results.loc[self.results["status"] == "lost", "job"]]

    @property
    def unknown(self) -> list[str]:
        """Job numbers whose Slurm task could not be asked about (no ``squeue`` here)."""
        return [str(j) for j in self.results.loc[self.results["status"] == "unknown", "job"]]

    def rerun(self) -> str | None:
        """The command that reruns the failed and lost jobs, or None (none, or no job list).

        Limits are raised where tasks were killed at theirs.
        """
        if self.plan is None or not (self.failed or self.lost):
            return None
        lost = self.results[self.results["status"] == "lost"]
        return rerun_command(self.folder, self.plan,
                             {int(j): str(e) for j, e in zip(lost["job"], lost["error"],
                                                             strict=True)})

    @property
    def swept(self) -> list[str]:
        """Parameters other than ``seed`` that take more than one value."""
        return [p for p in self.parameters
                if p != "seed" and len(set(map(str, self.results[p]))) > 1]


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """``key=value`` overrides as a mapping; values read as YAML (numbers, lists, null)."""
    out: dict[str, Any] = {}
    for text in overrides:
        key, sep, value = text.partition("=")
        key = key.lstrip("+~")
        if not sep or key.startswith("hydra.") or key.startswith("hydra/") or (
                key in _NOT_PARAMETERS):
            continue
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = value
        out[key] = parsed if isinstance(parsed, int | float | str | bool) or parsed is None \
            else json.dumps(parsed)
    return out


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Scalar leaves of a nested mapping under dotted names (``None`` becomes NaN)."""
    out: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if str(key) in _SKIP or name in _SKIP:
                continue
            out.update(flatten(value, f"{name}."))
        elif value is None:
            out[name] = math.nan
        elif isinstance(value, int | float):  # bool too: 1.0 or 0.0
            out[name] = float(value)
    return out


def job_folders(folder: Path) -> list[Path]:
    """The job folders of a sweep, by job number."""
    jobs = [p for p in Path(folder).iterdir() if p.is_dir() and p.name.isdigit()]
    return sorted(jobs, key=lambda p: int(p.name))


def read_job(job: Path, planned: Sequence[str] = ()) -> dict[str, Any]:
    """One row of the table: the job's status, parameters and indicators.

    ``planned``: the job's overrides from ``jobs.json``, for a job that wrote none.
    """
    row: dict[str, Any] = {"job": int(job.name), "status": "running", "error": ""}
    status_file = job / STATUS_FILE
    overrides: list[str] = []
    if status_file.exists():
        status = json.loads(status_file.read_text(encoding="utf-8"))
        row["status"] = str(status.get("status", "running"))
        row["error"] = str(status.get("error") or "")
        overrides = list(status.get("overrides", []))
    manifest = job / "manifest.json"
    if not overrides and manifest.exists():
        overrides = list(json.loads(manifest.read_text(encoding="utf-8")).get("overrides", []))
    overrides = overrides or list(planned)
    summary = job / "summary.json"
    if row["status"] == "completed" and summary.exists():
        indicators = json.loads(summary.read_text(encoding="utf-8")).get("indicators", {})
        row["indicators"] = flatten(indicators)
        row["areas"] = [{"area_kind": kind, "area": str(area), **flatten(values)}
                        for kind, key in AREA_KINDS
                        for area, values in sorted(indicators.get(key, {}).items())]
    row["parameters"] = parse_overrides(overrides)
    return row


def gather(folder: Path, rebuild: Callable[[Path], SweepPlan | None] | None = None
           ) -> SweepTables:
    """Read every job folder of a sweep into the results table and its summary.

    ``rebuild``: how to rebuild the job list where ``jobs.json`` is gone (``read_plan``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"sweep folder {folder} does not exist")
    plan = read_plan(folder, rebuild)
    planned = plan.jobs if plan is not None else {}
    rows = [read_job(job, planned.get(int(job.name), ())) for job in job_folders(folder)]
    if plan is not None:
        rows = _with_unfinished(folder, plan, rows)
    parameters: list[str] = []
    indicators: list[str] = []
    for row in rows:
        parameters.extend(k for k in row["parameters"] if k not in parameters)
        indicators.extend(k for k in row.get("indicators", {}) if k not in indicators)
    records = []
    for row in rows:
        record: dict[str, Any] = {k: row[k] for k in JOB_COLUMNS}
        record.update({p: row["parameters"].get(p) for p in parameters})
        values = row.get("indicators", {})
        record.update({i: values.get(i, math.nan) for i in indicators})
        records.append(record)
    columns = [*JOB_COLUMNS, *parameters, *indicators]
    results = pd.DataFrame.from_records(records, columns=columns)
    if indicators:  # one block of floats, not column by column
        results = pd.concat([results[[*JOB_COLUMNS, *parameters]],
                             results[indicators].astype(float)], axis=1)
    summary = summarise(results, [p for p in parameters if p != "seed"], indicators)
    area_rows = [{"job": row["job"], **{p: row["parameters"].get(p) for p in parameters},
                  **area} for row in rows for area in row.get("areas", [])]
    areas = pd.DataFrame.from_records(area_rows) if area_rows else pd.DataFrame(
        columns=["job", *parameters, "area_kind", "area"])
    return SweepTables(folder, results, summary, parameters, indicators, areas, plan)


def _with_unfinished(folder: Path, plan: SweepPlan, rows: list[dict[str, Any]]
                     ) -> list[dict[str, Any]]:
    """Rows for every planned job: those without a status are running or lost."""
    by_job = {row["job"]: row for row in rows}
    for job, overrides in plan.jobs.items():
        by_job.setdefault(job, {"job": job, "status": "running", "error": "",
                                "parameters": parse_overrides(overrides)})
    pending = [job for job, row in by_job.items() if row["status"] == "running"]
    for job, (status, reason) in without_status(folder, plan, pending).items():
        by_job[job]["status"], by_job[job]["error"] = status, reason
    return [by_job[job] for job in sorted(by_job)]


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Student's t interval for the mean of the finite values; NaN with fewer than two."""
    _, _, _, low, high, _ = _column_stats(np.asarray(values, dtype=float)[:, None], level)
    return float(low[0]), float(high[0])


def summarise(results: pd.DataFrame, by: Sequence[str],
              indicators: Sequence[str]) -> pd.DataFrame:
    """Mean and 95 % confidence interval over seeds, per parameter combination and indicator."""
    columns = [*by, "indicator", "n", "mean", "std", "ci_low", "ci_high"]
    done = results[results["status"] == "completed"]
    if done.empty or not indicators:
        return pd.DataFrame(columns=columns)
    keys = [done[b].astype(str) if done[b].dtype == object else done[b] for b in by]
    groups = (done.groupby(keys, dropna=False, sort=True).indices if by
              else {(): np.arange(len(done))})
    matrix = done[list(indicators)].to_numpy(dtype=float)
    share = np.array(["share" in i for i in indicators])
    out = []
    for rows in groups.values():
        first = done.iloc[rows[0]]
        combo = {b: first[b] for b in by}
        stats = _column_stats(matrix[rows])
        for k, indicator in enumerate(indicators):
            n, mean, std, low, high, nonnegative = (float(a[k]) for a in stats)
            if share[k]:  # a share's interval stays within [0, 1]
                low, high = max(low, 0.0), min(high, 1.0)
            elif n and nonnegative:  # counts, hours: never below zero
                low = max(low, 0.0)
            out.append({**combo, "indicator": indicator, "n": int(n), "mean": mean, "std": std,
                        "ci_low": low, "ci_high": high})
    return pd.DataFrame(out, columns=columns)


def _column_stats(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Per column over its finite values: count, mean, std, Student's t interval, all >= 0.

    NaN where a column has too few values; a whole group's indicators at once.
    """
    finite = np.isfinite(values)
    n = np.asarray(finite.sum(axis=0))
    filled = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, filled.sum(axis=0) / n, np.nan)
        squares = np.where(finite, (values - mean) ** 2, 0.0).sum(axis=0)
        std = np.where(n > 1, np.sqrt(squares / (n - 1)), np.nan)
        half = np.where(n > 1, stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2) * std
                        / np.sqrt(np.maximum(n, 1)), np.nan)
    nonnegative = np.asarray(np.where(finite, values >= 0, True).all(axis=0))
    return n, mean, std, mean - half, mean + half, nonnegative


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns can mix types across jobs; Parquet needs one type per column."""
    out = frame.copy()
    for column in frame.select_dtypes(include="object").columns:
        kinds = {type(v) for v in out[column] if v is not None}
        if len(kinds) > 1:
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    return out


def write_tables(tables: SweepTables) -> list[Path]:
    """Write the results and summary tables as CSV and Parquet into the sweep folder."""
    written = []
    for stem, frame in ((RESULTS_STEM, tables.results), (SUMMARY_STEM, tables.summary),
                        (AREAS_STEM, tables.areas)):
        csv = tables.folder / f"{stem}.csv"
        write_atomic(csv, partial(frame.to_csv, index=False))
        parquet = tables.folder / f"{stem}.parquet"
        write_atomic(parquet, partial(_for_parquet(frame).to_parquet, index=False))
        written += [csv, parquet]
    return written


def report(tables: SweepTables) -> str:
    """A short account of a sweep for the terminal."""
    counts = tables.results["status"].value_counts()
    parts = [f"{int(counts.get(s, 0))} {s}" for s in ("completed", "failed", "lost", "running",
                                                      "unknown")
             if counts.get(s, 0)]
    text = (f"sweep {tables.folder}: {len(tables.results)} jobs ({', '.join(parts) or 'none'}); "
            f"tables {RESULTS_STEM}, {SUMMARY_STEM} and {AREAS_STEM} (.csv and .parquet)")
    if tables.plan is not None and tables.plan.rebuilt:
        text += ("\nnote: jobs.json is missing; the sweep's jobs were rebuilt from "
                 "multirun.yaml")
    for status in ("failed", "lost", "unknown"):
        ended = tables.results[tables.results["status"] == status]
        if len(ended):
            text += f"\n{status} jobs:\n" + _job_lines(tables, ended)
    command = tables.rerun()
    if command is not None:
        text += ("\nTo rerun only the jobs that did not complete, into the same folder"
                 + (" (with twice the time limit or memory of the tasks killed at theirs)"
                    if _raised(tables) else "") + ":\n  " + command)
    rows = combination_headlines(tables)
    if rows:
        text += ("\n\nAt the deadline, mean over seeds per combination (all regions; per region "
                 f"and municipality: {AREAS_STEM}.csv):\n" + table(rows, first="combination"))
    return text


#: Job lines shown for one status; past these, the jobs are counted by reason.
SHOWN_JOBS = 12


def _job_lines(tables: SweepTables, ended: pd.DataFrame) -> str:
    """A line per job; for many jobs the first few, then the count of each reason."""
    lines = [f"  job {job} ({_overrides_text(tables, job)}): {error}"
             for job, error in zip(ended["job"][:SHOWN_JOBS], ended["error"][:SHOWN_JOBS],
                                   strict=True)]
    if len(ended) > SHOWN_JOBS:
        reasons = ended["error"].astype(str).str.replace(r"^Slurm task \S+: ", "", regex=True)
        reasons = reasons.str.replace(r"; log \S+$", "", regex=True)
        lines.append(f"  ... {len(ended) - SHOWN_JOBS} more (sweep_results.csv lists them); "
                     "all of them by reason:")
        lines += [f"    {n} x {why}" for why, n in reasons.value_counts().items()]
    return "\n".join(lines)


def _raised(tables: SweepTables) -> bool:
    """Whether the rerun command raises a limit (tasks killed at their time or memory limit)."""
    lost = tables.results[tables.results["status"] == "lost"]
    return bool(raised_limits(tables.folder, {int(j): str(e) for j, e in zip(
        lost["job"], lost["error"], strict=True)}))


def _overrides_text(tables: SweepTables, job: int) -> str:
    """The overrides that tell a job from the others (from ``jobs.json``), or its parameters."""
    if tables.plan is not None and int(job) in tables.plan.jobs:
        every = [set(o) for o in tables.plan.jobs.values()]
        shared = set.intersection(*every) if len(every) > 1 else set()
        return " ".join(o for o in tables.plan.jobs[int(job)] if o not in shared) or "-"
    row = tables.results.loc[tables.results["job"] == job].iloc[0]
    return " ".join(f"{p}={row[p]}" for p in [*tables.swept, "seed"] if p in row) or "-"


#: The headline's indicators in the sweep table (all regions), by headline column.
_HEADLINE = {
    "norm": "all_regions.norm_72h_share",
    "coordination_points_functional_share": "all_regions.coordination_points_functional_share",
    "within_reach_operational_share": "all_regions.within_reach_operational_share",
    "vulnerable_reached_in_time_share": "all_regions.vulnerable_reached_in_time_share",
}
_CAUSE_PREFIX = "shortfall.total.local_point.by_cause."


def combination_headlines(tables: SweepTables) -> list[dict[str, str]]:
    """The run headline's columns per combination of the swept parameters (means)."""
    done = tables.results[tables.results["status"] == "completed"]
    if done.empty or _HEADLINE["norm"] not in done:
        return []
    by = tables.swept
    causes = [c for c in done.columns if c.startswith(_CAUSE_PREFIX)]
    keys = [done[b].astype(str) if done[b].dtype == object else done[b] for b in by]
    groups = done.groupby(keys, sort=True) if by else [((), done)]  # numbers in their order
    rows = []
    for key, group in groups:
        values = key if isinstance(key, tuple) else (key,)
        name = ", ".join(f"{b}={v}" for b, v in zip(by, values, strict=True)) or "all jobs"
        row = {"combination": f"{name} ({len(group)} seed{'' if len(group) == 1 else 's'})"}
        for column, indicator in _HEADLINE.items():
            mean = group[indicator].mean() if indicator in group else math.nan
            row[column] = percent(None if not np.isfinite(mean) else float(mean))
        lost = group[causes].mean() if causes else pd.Series(dtype=float)
        lost = lost[lost > 0]
        top = str(lost.idxmax())[len(_CAUSE_PREFIX):] if len(lost) else None
        row["top_cause"] = CAUSE_TEXT.get(top, top) if top else "-"
        rows.append(row)
    return rows
