"""Figures for planners: an indicator against the swept parameters.

For a sweep over one parameter (besides ``seed``): each indicator's mean over
seeds against the parameter, with its 95 % confidence band. For two
parameters: a heat map of the mean per combination. Written next to the
tables as PNG and SVG, one file per indicator, named after it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.results.files import save_figure
from sim.sweeps.tables import SweepTables

#: Headline indicators: (plain title, unit). Drawn by default when present.
HEADLINE: dict[str, tuple[str, str]] = {
    "local_points.operational_share.at_h.72": (
        "Local support points operational (with power) at 72 hours",
        "share of planned points"),
    "local_points.open_any_share.at_h.72": (
        "Local support points open at 72 hours (with or without power)",
        "share of planned points"),
    "local_points.coordination_points_functional_share.at_h.72": (
        "Coordination points functioning at 72 hours", "share of coordination points"),
    "residents.within_reach_share.min_after_deadline": (
        "Residents within reach of an open point (lowest after 72 hours)",
        "share of residents"),
    "vulnerable.all.reached_in_time_share": (
        "Vulnerable residents reached before harm", "share of those in danger"),
    "vulnerable.all.harmed": ("Vulnerable residents harmed", "people"),
    "residents.visits.mean_wait_h": ("Mean wait at local support points", "hours"),
    "staffing.staff_hours_short": ("Staff short at active posts", "staff-hours"),
}
#: Plain names of parameters planners often sweep.
PARAMETER_NAMES: dict[str, str] = {
    "stations.backup_share": "Share of fire stations with a backup generator",
    "stations.closed_volunteer_posts_share": "Share of stations closed by budget cuts",
    "staffing.red_cross_per_100k": "Red Cross volunteers per 100,000 residents",
    "staffing.municipal_staff_per_10k": "Municipal staff per 10,000 residents",
    "staffing.self_mobilisation_h": "Staff report on their own after (hours)",
    "staffing.reservist_share": "Share of fire-brigade volunteers called away as reservists",
    "support_points.activation.trigger": "Activation of local points",
    "support_points.backup_power": "Own generators at local points",
    "outage.duration.hours": "Outage duration (hours)",
    "population.outreach.registry": "Registry of vulnerable residents",
    "fuel.trucks_per_region.VNOG": "Fuel trucks in VNOG",
    "power.fixed.min_autonomy_h": "Generator fuel autonomy (hours at full load)",
}


def title_of(indicator: str) -> tuple[str, str]:
    """A plain title and unit for an indicator (its dotted name when not a headline)."""
    return HEADLINE.get(indicator, (indicator.replace(".", " / ").replace("_", " "), "value"))


def name_of(parameter: str) -> str:
    """A plain name for a parameter (its key when not known)."""
    return PARAMETER_NAMES.get(parameter, parameter)


def _file_stem(indicator: str) -> str:
    return "figure_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", indicator)


def _order(values: pd.Series) -> list[object]:
    unique = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(unique, key=lambda v: (v is None, float(v)))
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def line_figure(summary: pd.DataFrame, parameter: str, indicator: str,
                folder: Path, note: str) -> list[Path]:
    """One indicator against one parameter, mean with its 95 % confidence band."""
    rows = summary[summary["indicator"] == indicator]
    order = _order(rows[parameter])
    rows = rows.set_index(rows[parameter].map(str)).loc[[str(v) for v in order]]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in order)
    x = np.array(order, dtype=float) if numeric else np.arange(len(order))
    title, unit = title_of(indicator)
    from matplotlib.figure import Figure  # only where drawn: the gatherer's start stays light

    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.plot(x, rows["mean"], marker="o", color="#1f5f8b", label="mean over seeds")
    band = rows[["ci_low", "ci_high"]].to_numpy(dtype=float)
    if np.isfinite(band).any():
        ax.fill_between(x, band[:, 0], band[:, 1], color="#1f5f8b", alpha=0.2,
                        label="95 % confidence interval")
    if not numeric:
        ax.set_xticks(x, [str(v) for v in order])
    if unit.startswith("share"):
        ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(name_of(parameter))
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.text(0.01, -0.02, note, fontsize=8, color="0.4")
    return save_figure(fig, folder, _file_stem(indicator))


def heatmap_figure(summary: pd.DataFrame, parameters: Sequence[str], indicator: str,
                   folder: Path, note: str) -> list[Path]:
    """One indicator over two parameters: the mean per combination as a heat map."""
    p, q = parameters
    rows = summary[summary["indicator"] == indicator]
    xs, ys = _order(rows[p]), _order(rows[q])
    grid = np.full((len(ys), len(xs)), math.nan)
    for _, row in rows.iterrows():
        grid[[str(v) for v in ys].index(str(row[q])),
             [str(v) for v in xs].index(str(row[p]))] = row["mean"]
    title, unit = title_of(indicator)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    share = unit.startswith("share")
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis",
                      vmin=0 if share else None, vmax=1 if share else None)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}" if abs(grid[i, j]) < 100
                        else f"{grid[i, j]:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if share and grid[i, j] < 0.5 else "black")
    ax.set_xlabel(name_of(p))
    ax.set_ylabel(name_of(q))
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=f"{unit} (mean over seeds)")
    fig.text(0.01, -0.02, note, fontsize=8, color="0.4")
    return save_figure(fig, folder, _file_stem(indicator))


def sweep_figures(tables: SweepTables, indicators: Sequence[str] | None = None) -> list[Path]:
    """Figures for a sweep over one or two parameters; none otherwise or without results."""
    swept = tables.swept
    if not 1 <= len(swept) <= 2 or tables.summary.empty:
        return []
    chosen = list(indicators) if indicators else [i for i in HEADLINE if i in tables.indicators]
    unknown = [i for i in chosen if i not in tables.indicators]
    if unknown:
        raise ValueError(f"indicator {unknown[0]!r} is not in the sweep's results; "
                         "allowed: a column of sweep_results.csv")
    done = tables.results[tables.results["status"] == "completed"]
    n_seeds = int(done.groupby([done[p].map(str) for p in swept]).size().min())
    fixed = [f"{p}={done[p].iloc[0]}" for p in tables.parameters
             if p not in swept and p != "seed" and len(done)]
    per = "value" if len(swept) == 1 else "cell"
    note = "; ".join([*fixed, f"at least {n_seeds} seed(s) per {per}"])
    summary = tables.summary
    written: list[Path] = []
    for indicator in chosen:
        if len(swept) == 1:
            written += line_figure(summary, swept[0], indicator, tables.folder, note)
        else:
            written += heatmap_figure(summary, swept, indicator, tables.folder, note)
    return written
