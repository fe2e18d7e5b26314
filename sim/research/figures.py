r"""Researchers' figures and GIS layers of finished runs (``blackout-sim-figures`` draws them).

After every run (``research.figures`` / ``research.gis``, on by default) the
run folder gets ``figures/`` and ``coverage.gpkg``. The command draws them
again, with other settings, from any run folder, or combines several runs::

    blackout-sim-figures <run folder>                        # into <run folder>/figures
    blackout-sim-figures <run> map_hour=48 covering=operational
    blackout-sim-figures <sweep folder>                      # curves with a band over seeds
    blackout-sim-figures <sweep folder> --compare stations.backup_share=0.0 \\
        stations.backup_share=1.0                            # and a difference map B minus A

Several runs are grouped into scenarios by the config values that differ
between them (the seed aside); each curve gets one line per scenario, the mean
over its runs, with a band from the lowest to the highest run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import yaml

from sim.config.overrides import with_overrides
from sim.errors import InputError, Problem
from sim.research.aid_figure import outside_help_figure
from sim.research.curves import (
    coverage_curve,
    points_curve,
    run_curves,
    shortfall_figure,
    timeline_figure,
    vulnerable_curve,
)
from sim.research.layers import (
    RunLayers,
    load_run_layers,
    municipal_coverage,
    run_coverage,
    write_gis,
)
from sim.research.maps import coverage_map, difference_map, small_multiples, vulnerable_map
from sim.research.settings import COVERING, FORMATS, Settings, default_config, settings_from
from sim.results.files import save_figure
from sim.results.folder import read_table, table_file

#: Config keys that never make two runs different scenarios.
NOT_A_SCENARIO = ("seed", "results_dir", "injects", "research", "hydra")


def hours_in(run: RunLayers, hours: Sequence[float]) -> list[float]:
    """The hours within the run (later ones dropped), as whole hours of the coverage grid."""
    return sorted({float(math.floor(h)) for h in hours if h <= run.horizon_h})


def hour_of(run: RunLayers, hour: float) -> float:
    """``hour`` as a whole hour of the coverage grid, or the run's last hour if it ends earlier."""
    return float(min(math.floor(hour), math.floor(run.horizon_h)))


def timeline_municipality(run: RunLayers, settings: Settings, uncovered: pd.Series) -> str | None:
    """The chosen municipality, or the one with activated points and most residents uncovered."""
    if settings.timeline_municipality is not None:
        return settings.timeline_municipality
    e = run.events
    with_points = set(e.loc[e["kind"] == "point_activated", "municipality"])
    if not with_points:
        return None
    population = run.municipalities.set_index("code")["population"]
    ranked = sorted(with_points, key=lambda c: (-float(uncovered.get(c, 0.0)),
                                                -float(population.get(c, 0)), c))
    return ranked[0]


def draw_run(folder: Path, settings: Settings, out: Path | None = None) -> list[Path]:
    """Draw one run's figures into ``out`` (default ``<folder>/figures``) and its GIS layers.

    Returns the files written. ``coverage.gpkg`` goes into the run folder (or ``out``).
    """
    run = load_run_layers(folder)
    written: list[Path] = []
    if settings.gis:
        gpkg = (Path(out) if out is not None else Path(folder)) / "coverage.gpkg"
        write_gis(run, gpkg)
        written.append(gpkg)
    if not settings.figures:
        return written
    target = Path(out) if out is not None else Path(folder) / "figures"
    hours = run.hours
    cov = run_coverage(run, COVERING[settings.covering], hours)
    map_hour = hour_of(run, settings.map_hour)

    def save(fig: Any, stem: str) -> None:
        written.extend(save_figure(fig, target, stem, settings.formats, settings.dpi,
                                   tight=False))

    # The map shows the open measure next to the operational one (the norm's).
    both = {name: cov if name == settings.covering else run_coverage(run, COVERING[name], hours)
            for name in ("open", "operational")}
    save(coverage_map(run, both, map_hour), f"coverage_map_{map_hour:g}h")
    save(small_multiples(run, cov, hours_in(run, settings.hours) or [map_hour],
                         settings.covering),
         "coverage_small_multiples")
    curves = {run.label: [run_curves(run)]}
    save(coverage_curve(curves), "coverage_curve")
    if not run.region_series.empty:  # older run folders may lack the time series
        save(points_curve(curves), "points_curve")
    if not run.cases.empty:
        save(vulnerable_map(run), "vulnerable_not_reached_map")
        save(vulnerable_curve(curves), "vulnerable_reached_curve")
    shortfall = Path(folder) / "shortfall.csv"
    if shortfall.exists():  # older run folders lack it
        table = pd.read_csv(shortfall)
        if not table.empty:
            save(shortfall_figure(table, run.label), "shortfall_causes")
    aid = outside_help_figure(read_table(Path(folder), "events"), run.label, float(hours[-1]))
    if aid is not None:
        save(aid, "outside_help")
    uncovered = municipal_coverage(cov.at(map_hour)).set_index("municipality")["uncovered"]
    muni = timeline_municipality(run, settings, uncovered)
    if muni is not None:
        save(timeline_figure(run, muni), f"activation_timeline_{muni}")
    if out is None:
        remove_stale(target, written)
    return written


def remove_stale(folder: Path, written: Sequence[Path]) -> None:
    """Remove figures an earlier drawing left in a folder this module owns (``figures/``)."""
    keep = {p.resolve() for p in written}
    for path in folder.iterdir():
        if path.suffix in {f".{f}" for f in FORMATS} and path.resolve() not in keep:
            path.unlink()


def municipality_codes(folder: Path) -> list[str]:
    """The CBS codes of a run folder's municipalities."""
    table = pyogrio.read_dataframe(Path(folder) / "region.gpkg", layer="municipalities",
                                   columns=["code"], read_geometry=False)
    return [str(c) for c in table["code"]]


def find_runs(path: Path) -> list[Path]:
    """The run folders at ``path``: itself, or its sub-folders that hold a run (a sweep)."""
    path = Path(path)
    if table_file(path, "events") is not None:
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder")
    runs = sorted((p for p in path.iterdir()  # a hidden .partial folder is no run
                   if p.is_dir() and not p.name.startswith(".") and table_file(p, "events")),
                  key=lambda p: (len(p.name), p.name))
    if not runs:
        raise FileNotFoundError(f"{path} holds no run folder (a folder with its event log, "
                                "events.parquet or events.csv), nor is it one (a sweep "
                                "written with tables.keep=summary has none)")
    return runs


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def _scenario_config(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _flat(config).items()
            if k.split(".")[0] not in NOT_A_SCENARIO}


def scenario_labels(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """A label per run naming its scenario: the name, or the values that differ between runs."""
    flat = [_scenario_config(c) for c in configs]
    keys = sorted({k for f in flat for k in f})
    differ = [k for k in keys if len({repr(f.get(k)) for f in flat}) > 1]
    if "name" in differ:
        return [str(f.get("name")) for f in flat]
    if not differ:
        return [str(flat[0].get("name", "run")) if flat else "run"] * len(flat)
    return [", ".join(f"{k}={f.get(k)}" for k in differ) for f in flat]


def selector_parts(selector: str) -> list[tuple[str, str]]:
    """``a.b=1,c=[x,y]`` as ``[("a.b", "1"), ("c", "[x,y]")]`` (commas inside values kept)."""
    parts = re.split(r",(?=[A-Za-z_][\w.]*=)", selector)
    return [(key, text) for key, _, text in (part.partition("=") for part in parts)]


def same_value(want: Any, have: Any) -> bool:
    """A selector's value (parsed as YAML) against a config value: numbers by value."""
    if isinstance(want, str) and isinstance(have, int | float) and not isinstance(have, bool):
        try:
            want = float(want)  # YAML 1.1 reads 1e-3 as text
        except ValueError:
            return False
    if isinstance(want, bool) or isinstance(have, bool):
        return isinstance(want, bool) and isinstance(have, bool) and want == have
    if isinstance(want, int | float) and isinstance(have, int | float):
        return math.isclose(float(want), float(have), rel_tol=1e-9, abs_tol=1e-12)
    return str(want) == str(have)


def _matches(config: Mapping[str, Any], selector: str) -> bool:
    flat = _flat(config)
    return all(key in flat and same_value(yaml.safe_load(text), flat[key])
               for key, text in selector_parts(selector))


def select(selector: str, folders: Sequence[Path],
           configs: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indices of the runs a ``--compare`` selector picks: a folder, or ``key=value[,...]``."""
    if "=" not in selector:
        picked = {p.resolve() for p in find_runs(Path(selector))}
        return [i for i, f in enumerate(folders) if f.resolve() in picked]
    parts = selector_parts(selector)
    if any(not key for key, _ in parts):
        raise InputError([Problem("--compare", selector,
                                  "a run or sweep folder, or key=value[,key=value]")])
    try:
        chosen = [i for i, c in enumerate(configs) if _matches(c, selector)]
    except yaml.YAMLError as exc:
        raise InputError([Problem("--compare", selector, f"values in YAML ({exc})")]) from exc
    if not chosen:
        key = parts[0][0]
        seen = sorted({repr(_flat(c).get(key)) for c in configs})
        raise InputError([Problem("--compare", selector,
                                  f"a selector that matches a given run; {key} has "
                                  f"{', '.join(seen)}")])
    return chosen


def draw_runs(paths: Sequence[Path], settings: Settings, out: Path,
              compare: tuple[str, str] | None = None) -> list[Path]:
    """Curves of several runs (grouped into scenarios) and, if asked, a difference map."""
    folders = [r for p in paths for r in find_runs(p)]
    runs_cfg = [yaml.safe_load((f / "config.yaml").read_text(encoding="utf-8"))
                for f in folders]
    labels = scenario_labels(runs_cfg)
    sides: tuple[list[int], list[int]] | None = None
    if compare is not None:
        sides = (select(compare[0], folders, runs_cfg), select(compare[1], folders, runs_cfg))
        for selector, side in zip(compare, sides, strict=True):
            if not side:
                raise InputError([Problem("--compare", selector,
                                          "a folder among the runs given (or below one)")])
        names = (_side_label(compare[0], labels, sides[0]),
                 _side_label(compare[1], labels, sides[1]))
    elif len(set(labels)) == 2:  # A: the scenario of the first job, as the sweep lists them
        first, second = dict.fromkeys(labels)
        sides = ([i for i, lab in enumerate(labels) if lab == first],
                 [i for i, lab in enumerate(labels) if lab == second])
        names = (first, second)
    groups: dict[str, list[Any]] = {}
    shares: dict[int, pd.Series] = {}
    base: RunLayers | None = None
    map_hour = settings.map_hour
    wanted = set(sides[0] + sides[1]) if sides else set()
    for i, folder in enumerate(folders):
        run = load_run_layers(folder)
        groups.setdefault(labels[i], []).append(run_curves(run))
        if i in wanted:
            base = base or run
            map_hour = hour_of(run, settings.map_hour)
            cov = run_coverage(run, COVERING[settings.covering], np.array([map_hour]))
            by = municipal_coverage(cov)
            shares[i] = by.set_index("municipality")["covered_share"]
    written: list[Path] = []

    def save(fig: Any, stem: str) -> None:
        written.extend(save_figure(fig, out, stem, settings.formats, settings.dpi,
                                   tight=False))

    save(coverage_curve(groups), "coverage_curve")
    save(points_curve(groups), "points_curve")
    save(vulnerable_curve(groups), "vulnerable_reached_curve")
    if sides is not None and base is not None:
        save(difference_map(base, [shares[i] for i in sides[0]], [shares[i] for i in sides[1]],
                            names, map_hour, settings.covering),
             f"difference_map_{map_hour:g}h")
    return written


def _side_label(selector: str, labels: Sequence[str], chosen: Sequence[int]) -> str:
    found = sorted({labels[i] for i in chosen})
    return selector if "=" in selector or len(found) != 1 else found[0]


def redraw(paths: Sequence[Path], overrides: Sequence[str], out: Path | None = None,
           compare: tuple[str, str] | None = None) -> tuple[list[Path], int]:
    """Draw again from finished run or sweep folders; return the files written and runs read.

    The settings are the first run's own ``research`` config (drawing switched on),
    changed by ``key=value`` overrides. One run: its figures and GIS layers (into
    ``<run>/figures`` unless ``out``); several: curves over them and, with two
    scenarios or ``compare``, a difference map (into ``out``, or the one sweep
    folder's ``figures``, where stale figures are removed). Raises ``InputError`` for
    bad settings or selectors and ``FileNotFoundError`` for missing folders.
    """
    folders = [r for p in paths for r in find_runs(p)]
    first = yaml.safe_load((folders[0] / "config.yaml").read_text(encoding="utf-8"))
    # The run's own settings, but drawing is what the command is for.
    base = {**(first.get("research") or default_config()), "figures": True, "gis": True}
    # Only a single run's figures include the timeline of a named municipality.
    settings = settings_from(with_overrides(base, overrides, "research"),
                             municipality_codes(folders[0]) if len(folders) == 1 else None)
    if len(folders) == 1 and compare is None:
        return draw_run(folders[0], settings, out), 1
    target = out
    if target is None:
        if len(paths) != 1 or find_runs(paths[0]) == [paths[0]]:
            raise InputError([Problem("--out", None, "several run folders: say where the "
                                      "combined figures go (the default is only for one "
                                      "sweep folder)")])
        target = paths[0] / "figures"
    written = draw_runs(paths, settings, target, compare)
    if out is None:
        remove_stale(target, written)
    return written, len(folders)
