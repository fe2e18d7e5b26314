"""The run folder: written completely or not at all, and read back.

A run folder is either complete or absent: files are written into a hidden
sibling ``.<name>.partial`` folder, which replaces the (empty) run folder in
one rename once every file is written. Nothing already in ``results/`` is
overwritten. :func:`read_run_folder` reads a finished folder back for the
commands that work on run folders (figures, injects).
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

from sim import __version__
from sim.errors import Problems
from sim.geo.write import write_geopackage
from sim.paths import PROJECT_ROOT
from sim.results.files import dump_json, process_alive
from sim.results.headline import headline_text, run_title
from sim.results.run import RunResult


class RunFolderError(RuntimeError):
    """The run folder cannot be written without overwriting something."""


def write_run_folder(
    run_dir: Path,
    texts: Mapping[str, str | bytes],
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    layers_file: str = "region.gpkg",
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write text files and a GeoPackage into ``run_dir`` atomically; return ``run_dir``."""
    run_dir = Path(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise RunFolderError(f"{run_dir} exists and is not empty; refusing to overwrite it")
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    # Beside this run, and beside the runs of other scenarios (or the jobs of other
    # sweeps): what a killed writer left anywhere there goes on the next start.
    for folder in [run_dir.parent, *(p for p in run_dir.parent.parent.iterdir()
                                     if p.is_dir() and p != run_dir.parent)]:
        remove_stale_partials(folder)
    staging = run_dir.parent / f".{run_dir.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    (staging / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
    try:
        for name, text in texts.items():
            if isinstance(text, bytes):
                (staging / name).write_bytes(text)
            else:
                (staging / name).write_text(text, encoding="utf-8")
        if layers:
            write_geopackage(layers, staging / layers_file)
        if extra is not None:
            extra(staging)
        (staging / OWNER).unlink()
        if run_dir.exists():
            run_dir.rmdir()  # empty: made by the launcher before the run started
        os.replace(staging, run_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run_dir


#: In a staging folder: the host and process writing it (to clean up after a kill).
OWNER = ".owner"


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove hidden ``.<name>.partial`` folders whose writer was killed; return them.

    A folder is stale when the process named in its ``.owner`` file no longer runs on
    this host; a folder of a process still running (a parallel job) is left alone. The
    empty run folder the launcher made for the killed run goes too.
    """
    removed = []
    for staging in parent.glob(".*.partial"):
        owner = staging / OWNER
        if not staging.is_dir() or not owner.is_file():
            continue
        host, _, pid = owner.read_text(encoding="utf-8").strip().partition(" ")
        if host != socket.gethostname() or not pid.isdigit() or process_alive(int(pid)):
            continue
        shutil.rmtree(staging, ignore_errors=True)
        removed.append(staging)
        visible = parent / staging.name[1:].removesuffix(".partial")
        if visible.is_dir() and not any(visible.iterdir()):
            visible.rmdir()  # made empty by the launcher for the killed run
    return removed


@dataclass(frozen=True)
class RunInfo:
    """How a run came about, for its manifest."""

    started: datetime
    wall_s: float
    command: Sequence[str]
    overrides: Sequence[str]
    #: Files drawn from the folder after it is written (coverage.gpkg, figures/).
    derived_files: Sequence[str] = ()


#: The run's large tables: Parquet by default, CSV on request; left out by keep=summary.
LARGE_TABLES = ("events", "timeseries_points", "timeseries_sites",
                "timeseries_municipalities", "vulnerable_cases")
TABLE_FORMATS = ("parquet", "csv")
KEEP = ("all", "summary")
#: Id columns read as text (CSV would make numbers of some).
_TEXT_COLUMNS = ("municipality", "site", "demand_point", "point", "case", "detail")


@dataclass(frozen=True)
class TableSettings:
    """How the large tables are written (``tables`` in the config)."""

    format: str = "parquet"
    keep: str = "all"


def table_settings(cfg: Mapping[str, Any]) -> TableSettings:
    """The ``tables`` settings, checked; raise ``InputError`` naming each bad value."""
    problems = Problems()
    fmt = str(cfg.get("format", "parquet"))
    keep = str(cfg.get("keep", "all"))
    if fmt not in TABLE_FORMATS:
        problems.add("tables.format", cfg.get("format"), f"one of {list(TABLE_FORMATS)}")
    if keep not in KEEP:
        problems.add("tables.keep", cfg.get("keep"), f"one of {list(KEEP)}")
    problems.raise_if_any()
    return TableSettings(fmt, keep)


def table_file(folder: Path, stem: str) -> Path | None:
    """The file of table ``stem`` in a run folder (Parquet or CSV), None when absent."""
    for suffix in (".parquet", ".csv"):
        path = Path(folder) / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def read_table(folder: Path, stem: str, empty_text: bool = False) -> pd.DataFrame:
    """Table ``stem`` of a run folder, from Parquet or CSV (empty when absent).

    Id columns are text. ``empty_text``: missing text is "" (else missing, NaN/None).
    """
    path = table_file(folder, stem)
    if path is None:
        return pd.DataFrame()
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        if empty_text:
            for column in frame.columns:
                if frame[column].dtype == object:
                    frame[column] = frame[column].fillna("")
        return frame
    return pd.read_csv(path, dtype=dict.fromkeys(_TEXT_COLUMNS, str),
                       keep_default_na=not empty_text)


def _table_bytes(frame: pd.DataFrame, fmt: str) -> bytes | str:
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g")
    out = frame.copy()
    for column in out.columns:  # Parquet needs one type per column: text, or missing
        if out[column].dtype == object:
            values = out[column]
            missing = values.isna()  # None and NaN (NaT, pd.NA) are missing; the rest text
            out[column] = values.astype(str).astype(object).where(~missing, None)
    return out.to_parquet(index=False, compression="zstd")


def write_run(run_dir: Path, result: RunResult, config_yaml: str, info: RunInfo,
              extra: Callable[[Path], None] | None = None,
              tables_as: TableSettings = TableSettings()) -> Path:
    """Write a run's folder: config, manifest, summary, tables and region layers, atomically.

    ``extra(staging)`` draws what derives from the folder's files (figures, GIS layers,
    injects: ``info.derived_files``) before the folder becomes visible.
    """
    scenario = result.scenario
    tables: dict[str, str | bytes] = {}
    for name, frame in result.tables().items():
        if name not in LARGE_TABLES:
            tables[f"{name}.csv"] = frame.to_csv(index=False, float_format="%.6g")
        elif tables_as.keep == "all":
            tables[f"{name}.{tables_as.format}"] = _table_bytes(frame, tables_as.format)
    whole = tables_as.keep == "all"
    manifest: dict[str, Any] = {
        "scenario": scenario.params.name,
        "seed": scenario.params.seed,
        "started_utc": info.started.isoformat(),
        "finished_utc": datetime.now(UTC).isoformat(),
        "wall_time_s": round(info.wall_s, 3),
        "git_revision": git_revision(),
        **environment(),
        "command": list(info.command),
        "overrides": list(info.overrides),
        "geodata": dict(scenario.region.provenance),
        "files": ["config.yaml", "manifest.json", "summary.json", "headline.md",
                  *(["region.gpkg"] if whole else []), *tables],
        "tables": {"format": tables_as.format, "keep": tables_as.keep},
        "events_processed": result.model.events_processed,
        "derived_files": list(info.derived_files),
    }
    texts = {
        "config.yaml": config_yaml,
        "summary.json": dump_json(result.summary),
        "headline.md": headline_text(result.summary, run_title(scenario.params.name,
                                                               scenario.params.seed)),
        "manifest.json": dump_json(manifest),
        **tables,
    }
    layers = {**scenario.region.layers(), "site_results": result.site_results} if whole \
        else None
    return write_run_folder(run_dir, texts, layers=layers, extra=extra)


def read_run_folder(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The resolved config and the event log of a run folder written by ``python -m sim``."""
    folder = Path(folder)
    missing = [name for name in ("config.yaml", "region.gpkg") if not (folder / name).exists()]
    if table_file(folder, "events") is None:
        missing.append("events.parquet (or events.csv)")
    if missing:
        raise FileNotFoundError(f"{folder} is not a complete run folder: "
                                f"missing {', '.join(missing)} (a sweep job written with "
                                "tables.keep=summary keeps only its summary)")
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    return config, read_table(folder, "events", empty_text=True)


def remove_if_empty(folder: Path, up_to: Path | None = None) -> None:
    """Remove a folder the launcher made for a run that never started, if empty.

    Empty parents are removed too, up to and including ``up_to`` (the results
    folder), so bad input leaves nothing behind; a folder holding anything stays.
    """
    folder = Path(folder).absolute()
    stop = Path(up_to).absolute() if up_to is not None else folder
    while folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        if folder == stop or stop not in folder.parents:
            break
        folder = folder.parent


def git_revision(root: Path = PROJECT_ROOT) -> dict[str, Any] | None:
    """The commit of the source tree and whether it has local changes, when git knows it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())} if commit else None


def environment() -> dict[str, str]:
    """Python and platform, for the manifest."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "package_version": __version__,
    }
