"""Curves and timelines of coverage gaps over time, for researchers.

Each curve takes runs grouped by scenario (``{label: [RunCurves, ...]}``): one
line per scenario, the mean over its runs, with a band from the lowest to the
highest run when a scenario has several (seeds). The hour by which every local
point should be operational (``support_points.operational_deadline_h``) is
marked. The activation timeline shows one run's local points in one
municipality, from the decision to the open doors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.research.coverage import OPEN, OPERATIONAL
from sim.research.layers import (
    CP_POWER,
    RunLayers,
    activation_timeline,
    cp_coverage,
    grid_off,
    run_coverage,
    vulnerable_reached_over_time,
)
from sim.results.shortfall import CAUSE_TEXT

#: Plain names of the vulnerable subgroups.
SUBGROUPS: dict[str, str] = {
    "home_ventilation": "ventilated at home, around the clock",
    "home_ventilation_night": "ventilated at home, at night",
    "home_oxygen": "oxygen at home",
    "home_care": "home care",
    "frail_elderly_alone": "frail elderly living alone",
    "severe_mobility_alone": "severely limited mobility, alone",
}
#: Columns of ``timeseries_region.csv`` on the points curve, with their plain words.
POINT_SERIES: dict[str, str] = {
    "local_points_operational_on_backup_share": "72-h norm: local points operational on "
                                                "backup power, grid still off",
    "local_points_operational_share": "local points operational (open, with power)",
    "local_points_open_share": "local points open (with or without power)",
    "coordination_points_functional_share": "coordination points functioning",
}
COLOURS = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]


@dataclass(frozen=True)
class RunCurves:
    """What the curves need from one run (small: many runs fit in memory)."""

    label: str
    deadline_h: float
    #: [hour] x (open, operational, coordination point): the share of residents without
    #: power covered; and ``without power`` (or ``without grid`` from runs that did not
    #: write it): the share of residents without power, for context.
    covered: pd.DataFrame
    #: [hour] x ``POINT_SERIES`` columns: shares of points (from ``timeseries_region.csv``).
    points: pd.DataFrame
    #: [hour] x subgroup: the share of cases in danger reached before harm by then.
    vulnerable: pd.DataFrame


def run_curves(run: RunLayers) -> RunCurves:
    """The curves' data of one run."""
    hours = run.hours

    # Only residents still without power count (the grid off, and not on the grid
    # operator's transformer-house generators: ``run_coverage`` leaves those out); once
    # the grid is back everywhere the share is undefined and the curve ends (as the
    # summary's within_reach_share).
    dp = run.affected_demand_points
    off = grid_off(run, hours).reindex(columns=dp["municipality"]).to_numpy() > 0

    covered = pd.DataFrame({"open": run_coverage(run, OPEN, hours).share_while(off),
                            "operational": run_coverage(run, OPERATIONAL, hours).share_while(off),
                            "coordination point": cp_coverage(run, hours).share_while(off)},
                           index=pd.Index(hours, name="hour"))
    series = run.region_series
    for column, key in (("residents_without_power_share", "without power"),
                        ("residents_without_grid_share", "without grid")):
        if column in series.columns:
            covered[key] = (series.set_index("hour")[column].reindex(covered.index)
                            .to_numpy(float))
            break
    points = (series.set_index("hour")[[c for c in POINT_SERIES if c in series.columns]]
              if not series.empty else pd.DataFrame(index=pd.Index(hours, name="hour")))
    return RunCurves(label=run.label, deadline_h=run.deadline_h, covered=covered,
                     points=points, vulnerable=vulnerable_reached_over_time(run, hours))


def _band(ax: Axes, frames: Sequence[pd.DataFrame], column: str, colour: str, label: str,
          linestyle: str = "-") -> None:
    """The mean of ``column`` over the runs, with a min-max band when there are several."""
    present = [f[column] for f in frames if column in f.columns]
    if not present:
        return
    table = pd.concat(present, axis=1)
    x = table.index.to_numpy(float)
    ax.plot(x, table.mean(axis=1), color=colour, linestyle=linestyle, linewidth=1.6,
            label=label)
    if table.shape[1] > 1:
        ax.fill_between(x, table.min(axis=1), table.max(axis=1), color=colour, alpha=0.18,
                        linewidth=0)


def _share_axes(ax: Axes, deadline_h: float, xlabel: str = "hours since the outage began",
                ) -> None:
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.axvline(deadline_h, color="black", linestyle=":", linewidth=1.2)
    ax.text(deadline_h, 0.01, f" {deadline_h:g} h", va="bottom", ha="left", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)
    step = 24.0
    right = ax.get_xlim()[1]
    ax.set_xticks(np.arange(0.0, right + 1e-9, step))
    ax.set_xlim(0, right)


def _note(fig: Figure, text: str) -> None:
    """A footnote under the plot, with room made for it by the layout."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7, color="0.35")


def _legend(ax: Axes) -> None:
    """The legend to the right of the plot, clear of the curves."""
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _runs_note(groups: Mapping[str, Sequence[RunCurves]]) -> str:
    counts = {len(v) for v in groups.values()}
    if counts == {1}:
        return "One run per line."
    return ("Line: mean over the runs (seeds) of each scenario; band: lowest to highest run "
            f"({min(counts)}-{max(counts)} runs)." if len(counts) > 1 else
            f"Line: mean over {counts.pop()} runs (seeds); band: lowest to highest run.")


def coverage_curve(groups: Mapping[str, Sequence[RunCurves]]) -> Figure:
    """Residents covered against time: open and operational local points, coordination points."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    ax = fig.subplots()
    styles = (("open", "-", "an open local point"), ("operational", "--",
              "an operational local point (with power)"),
              ("coordination point", ":", "a functioning coordination point (cycling)"))
    for k, (label, runs) in enumerate(groups.items()):
        colour = COLOURS[k % len(COLOURS)]
        frames = [r.covered for r in runs]
        for column, style, words in styles:
            name = f"{label}: {words}" if len(groups) > 1 else f"in reach of {words}"
            _band(ax, frames, column, colour if len(groups) > 1 else
                  COLOURS[[s[0] for s in styles].index(column)], name, style)
    first = next(iter(groups.values()))
    context = ("without power" if any("without power" in r.covered.columns for r in first)
               else "without grid")
    text = {"without power": "residents without power (no grid, no transformer-house "
                             "generator)", "without grid": "residents without grid power"}
    _band(ax, [r.covered for r in first], context, "0.6",
          text[context] + (f" ({next(iter(groups))})" if len(groups) > 1 else ""),
          linestyle="-")
    deadline = first[0].deadline_h
    _share_axes(ax, deadline)
    ax.set_ylabel("share of residents")
    ax.set_title("Residents with a working point within reach", fontsize=11)
    _legend(ax)
    _note(fig, f"{_runs_note(groups)} Dotted vertical line: the hour by which every "
             "local point should run.")
    return fig


def points_curve(groups: Mapping[str, Sequence[RunCurves]]) -> Figure:
    """Local points operational and open, and coordination points functioning, against time."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    ax = fig.subplots()
    styles = dict(zip(POINT_SERIES, ("-", "-.", "--", ":"), strict=True))
    for k, (label, runs) in enumerate(groups.items()):
        frames = [r.points for r in runs]
        for j, (column, words) in enumerate(POINT_SERIES.items()):
            colour = COLOURS[(k if len(groups) > 1 else j) % len(COLOURS)]
            _band(ax, frames, column, colour,
                  f"{label}: {words}" if len(groups) > 1 else words, styles[column])
    deadline = next(iter(groups.values()))[0].deadline_h
    _share_axes(ax, deadline)
    ax.set_ylabel("share of points")
    ax.set_title(f"Support points running (target: every local point operational by "
                 f"{deadline:g} h)", fontsize=11)
    _legend(ax)
    _note(fig, f"{_runs_note(groups)} Local points: share of those planned (on backup: of "
             "those whose municipality has no grid); coordination points: share of those in "
             "affected municipalities. Points that stood down after the nafase are left out; "
             "a line ends when all have.")
    return fig


def vulnerable_curve(groups: Mapping[str, Sequence[RunCurves]]) -> Figure:
    """Vulnerable cases reached before harm against time, by subgroup (a panel per scenario)."""
    n = len(groups)
    fig = Figure(figsize=(7.5 * n, 4.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False, sharey=True)
    for ax, (label, runs) in zip(axes[0], groups.items(), strict=True):
        frames = [r.vulnerable for r in runs]
        names = sorted({c for f in frames for c in f.columns},
                       key=lambda g: list(SUBGROUPS).index(g) if g in SUBGROUPS else 99)
        for j, group in enumerate(names):
            _band(ax, frames, group, COLOURS[j % len(COLOURS)], SUBGROUPS.get(group, group))
        _share_axes(ax, runs[0].deadline_h)
        ax.set_title(label if n > 1 else "Vulnerable residents reached before harm",
                     fontsize=10)
        ax.legend(fontsize=7, loc="lower right", title="subgroup", title_fontsize=7,
                  framealpha=0.9)
    axes[0][0].set_ylabel("share of those in danger, reached by then")
    _note(fig, f"{_runs_note(groups)} Reached: by outreach, a neighbour or on "
             "their own, before harm.")
    return fig


#: Lanes of the activation timeline: (lane, state) to colour and plain words.
LANE_STYLE: dict[tuple[str, str], tuple[str, str]] = {
    ("power", "grid"): ("#2b83ba", f"power: {CP_POWER['grid']}"),
    ("power", "fixed"): ("#5e3c99", f"power: {CP_POWER['fixed']}"),
    ("power", "mobile"): ("#e66101", f"power: {CP_POWER['mobile']}"),
    ("staff", "staffed"): ("#4d4d4d", "staffed to the minimum"),
    ("open", "open_reduced"): ("#a6d96a", "open, reduced (no power)"),
    ("open", "open_full"): ("#1a9641", "open, with power"),
}
LANES = ("power", "staff", "open")


#: Most local points one activation timeline shows (a city has a hundred and more).
MAX_TIMELINE_POINTS = 40


def timeline_figure(run: RunLayers, municipality: str) -> Figure:
    """The activation chain of each local point in one municipality of one run."""
    markers, bars = activation_timeline(run, municipality)
    sites = list(dict.fromkeys(markers.loc[markers["event"] == "decision", "site"]))
    every = len(sites)
    if every > MAX_TIMELINE_POINTS:  # a city: the points last to open (or never), in order
        opened = bars[bars["lane"] == "open"].groupby("site")["start"].min()
        last = sorted(sites, key=lambda s: -opened.get(s, np.inf))[:MAX_TIMELINE_POINTS]
        sites = [s for s in sites if s in set(last)]
    names = run.candidates.set_index("id")["name"]
    muni = run.municipalities.set_index("code")["name"].get(municipality, municipality)
    fig = Figure(figsize=(11, 1.6 + 0.55 * max(1, len(sites))), layout="constrained")
    ax = fig.subplots()
    lane_h = 0.26
    for i, site in enumerate(sites):
        for j, lane in enumerate(LANES):
            y = i + (j - 1) * lane_h
            rows = bars[(bars["site"] == site) & (bars["lane"] == lane)]
            spans = list(zip(rows["start"], rows["end"] - rows["start"], strict=True))
            colours = [LANE_STYLE[(lane, s)][0] for s in rows["state"]]
            if spans:
                ax.broken_barh(spans, (y - lane_h / 2, lane_h * 0.9), facecolors=colours)
        mine = markers[markers["site"] == site].set_index("event")["time"]
        for event, marker in (("decision", "|"), ("key holder", "D")):
            if event in mine.index:
                ax.plot(mine[event], i, marker=marker, color="black",
                        markersize=10 if marker == "|" else 4, markeredgewidth=1.5)
    ax.set_yticks(range(len(sites)), [f"{names.get(s, s)} ({s})" for s in sites], fontsize=7)
    ax.set_ylim(len(sites) - 0.5, -0.5)
    ax.axvline(run.deadline_h, color="black", linestyle=":", linewidth=1.2)
    ax.set_xlim(0, run.horizon_h)
    ax.set_xticks(np.arange(0.0, run.horizon_h + 1e-9, 24.0))
    ax.set_xlabel("hours since the outage began")
    ax.grid(axis="x", alpha=0.3)
    handles: list[Line2D | Patch] = [
        Line2D([], [], linestyle="none", marker="|", color="black", markersize=10,
               markeredgewidth=1.5, label="decision to activate"),
        Line2D([], [], linestyle="none", marker="D", color="black", markersize=4,
               label="key holder opened the building")]
    handles += [Patch(color=c, label=words) for c, words in LANE_STYLE.values()]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    shown = (f"{len(sites)} points" if len(sites) == every else
             f"the {len(sites)} of {every} points last to open")
    ax.set_title(f"Activation of local support points in {muni} ({shown}); "
                 "per point, lanes from top: power, staff, open", fontsize=10)
    if not sites:
        ax.text(0.5, 0.5, "no local points activated in this municipality", ha="center",
                va="center", transform=ax.transAxes)
    _note(fig, f"{run.label}. Dotted vertical line: the hour by which every local "
             "point should run.")
    return fig


#: A colour per cause of shortfall, in the causes' precedence (sim.results.shortfall).
CAUSE_COLOURS = {
    "not_decided": "#bdbdbd", "key_holder": "#969696", "no_generator": "#d7301f",
    "generator_broken": "#fc8d59", "tank_dry": "#fdcc8a", "mobile_on_its_way": "#fef0d9",
    "too_few_staff": "#4575b4", "setting_up": "#91bfdb", "no_supplies": "#756bb1",
    "other": "#f0f0f0",
}
_KIND_TITLE = {"local_point": "planned local points",
               "coordination_point": "coordination points (fire stations)"}


def shortfall_figure(table: pd.DataFrame, label: str) -> Figure:
    """Why points were not operational: point-hours per safety region, stacked by cause.

    ``table``: ``shortfall.csv`` of a run. Each bar is a region's counted point-hours
    (grid off, not stood down) as a share: the causes stacked, the rest operational.
    """
    kinds = [k for k in _KIND_TITLE if k in set(table["kind"])] or list(_KIND_TITLE)
    fig = Figure(figsize=(10, 3.6 + 0.25 * table["region"].nunique()), layout="constrained")
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    for ax, kind in zip(axes, kinds, strict=True):
        sub = table[table["kind"] == kind]
        wide = sub.pivot_table(index="region", columns="cause", values="point_hours",
                               aggfunc="sum", fill_value=0)
        counted = sub.groupby("region")["counted_hours"].first().reindex(wide.index)
        regions = list(wide.index)
        left = np.zeros(len(regions))
        for cause, colour in CAUSE_COLOURS.items():
            if cause not in wide:
                continue
            share = wide[cause].to_numpy(float) / np.maximum(counted.to_numpy(float), 1.0)
            ax.barh(regions, share, left=left, color=colour, edgecolor="0.4", linewidth=0.3,
                    label=CAUSE_TEXT[cause])
            left += share
        ax.barh(regions, np.maximum(1.0 - left, 0.0), left=left, color="#1a9850",
                edgecolor="0.4", linewidth=0.3, label="operational")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("share of the hours counted (grid off, not stood down)")
        ax.set_title(_KIND_TITLE[kind], fontsize=10)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    seen: dict[str, Any] = {}  # each cause once in the legend, in the order drawn
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(text, handle)
    fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
               ncol=4, fontsize=7, frameon=False)
    fig.suptitle(f"Why points were not operational while the grid was off: {label}",
                 fontsize=11)
    return fig
