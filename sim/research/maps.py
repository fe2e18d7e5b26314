"""Maps of coverage gaps (EPSG:28992, Amersfoort / RD New), for researchers.

Every map has municipal borders (thin) and safety-region borders (thick), a
scale bar, a north arrow and a legend in plain words. On the coverage maps the
municipalities are shaded by the share of their residents with no open local
support point within the distance they accept (residents the grid operator
re-powered on transformer-house generators have power and are not counted); the
local points are coloured by their status at that hour and the coordination
points (fire stations) by their power. Figures are saved as PNG and SVG (``save_figure``).

The data come from ``sim.research.layers`` (a run folder); nothing here runs the model.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import PercentFormatter
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry.polygon import orient

from sim.geo.settings import from_embedded
from sim.research.coverage import Coverage
from sim.research.layers import (
    CP_POWER,
    POINT_STATUS,
    RunLayers,
    cp_power,
    municipal_coverage,
    point_status,
    vulnerable_not_reached,
)

#: Colour and marker of each local point status (keys of ``POINT_STATUS``).
STATUS_STYLE: dict[str, tuple[str, str, float]] = {
    "open_full": ("#1a9641", "o", 16),
    "open_reduced": ("#a6d96a", "o", 16),
    "opening": ("#fdae61", "o", 16),
    "closed": ("#d7191c", "o", 16),
    "stood_down": ("#80cdc1", "s", 12),
    "never_opened": ("#000000", "x", 18),
    "not_activated": ("#bdbdbd", ".", 6),
}
#: Colour of each coordination point power state (keys of ``CP_POWER``); drawn as triangles.
POWER_STYLE: dict[str, str] = {
    "grid": "#2b83ba",
    "fixed": "#5e3c99",
    "mobile": "#e66101",
    "none": "#d7191c",
}
#: The colour map of the uncovered share (light: everyone in reach; dark: nobody).
UNCOVERED_CMAP = "OrRd"


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten metres) near a fifth of the span."""
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def add_scale_bar(ax: Axes) -> float:
    """A scale bar hanging just below the map's lower left corner (axes in metres).

    Returns its length in metres.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(ax.transData, length, label, "upper left", pad=0.1, borderpad=0.0,
                          sep=2, frameon=False, size_vertical=(y1 - y0) / 200, color="black",
                          fontproperties={"size": 7}, bbox_to_anchor=(0.0, 0.0),
                          bbox_transform=ax.transAxes)
    ax.add_artist(bar)
    return length


def add_north_arrow(ax: Axes, x: float = 0.95, y: float = 0.93, size: float = 0.08) -> None:
    """A north arrow in the upper right corner (grid north of RD New, within 2° of true north)."""
    ax.annotate("", xy=(x, y), xytext=(x, y - size), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3,
                            "headwidth": 9, "headlength": 9})
    ax.text(x, y + 0.01, "N", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=10, fontweight="bold")


def polygon_path(geometry: shapely.Geometry) -> MplPath:
    """A matplotlib path of a (multi)polygon, holes included (exteriors counter-clockwise)."""
    paths = []
    for part in shapely.get_parts(geometry):
        part = orient(part, 1.0)
        rings = [part.exterior, *part.interiors]
        paths += [MplPath(np.asarray(r.coords)[:, :2], closed=True) for r in rings]
    return MplPath.make_compound_path(*paths)


def draw_polygons(ax: Axes, geometries: Sequence[shapely.Geometry],
                  values: np.ndarray | None = None, cmap: str = UNCOVERED_CMAP,
                  norm: Normalize | None = None, **style: Any) -> PatchCollection:
    """Polygons as one collection, shaded by ``values`` when given (matplotlib only)."""
    patches = [PathPatch(polygon_path(g)) for g in geometries]
    collection = PatchCollection(patches, **style)
    if values is not None:
        collection.set_array(np.asarray(values, float))
        collection.set_cmap(cmap)
        collection.set_norm(norm)
    ax.add_collection(collection)
    return collection


def base_map(ax: Axes, run: RunLayers, values: pd.Series | None = None,
             cmap: str = UNCOVERED_CMAP, norm: Normalize | None = None) -> None:
    """Municipalities (shaded by ``values`` per code, if given), region borders, scale, north."""
    m = run.municipalities
    border: dict[str, Any] = {"edgecolor": "#9e9e9e", "linewidth": 0.4}
    if values is None:
        draw_polygons(ax, m.geometry.values, facecolor="#f7f7f7", **border)
    else:
        shade = m["code"].map(values).to_numpy(float)
        known = np.isfinite(shade)
        draw_polygons(ax, m.geometry.array[known], shade[known], cmap, norm, **border)
        if (~known).any():
            draw_polygons(ax, m.geometry.array[~known], facecolor="#f0f0f0", hatch="///",
                          **border)
    draw_polygons(ax, run.regions.geometry.array, facecolor="none", edgecolor="black",
                  linewidth=1.1)
    x0, y0, x1, y1 = m.total_bounds
    pad = 0.02 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    add_scale_bar(ax)
    add_north_arrow(ax)


def _colorbar(fig: Figure, ax: Axes | Sequence[Axes], cmap: str, norm: Normalize,
              label: str, percent: bool = False) -> None:
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.7, pad=0.02, label=label)
    if percent:
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def uncovered_share(cov: Coverage, hour: float) -> pd.Series:
    """Per municipality code: the share of residents counted uncovered at ``hour``.

    0 in an affected municipality where nobody is counted (all on the grid operator's
    transformer-house generators).
    """
    by = municipal_coverage(cov.at(hour)).set_index("municipality")
    return (1.0 - by["covered_share"]).where(by["residents"] > 0, 0.0)


def point_states(run: RunLayers, hours: Sequence[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """[hour, site]: the local points' statuses and the coordination points' power sources."""
    at = np.asarray(hours, float)
    return point_status(run, at), cp_power(run, at)


def draw_points(ax: Axes, run: RunLayers, status: pd.Series, power: pd.Series,
                scale: float = 1.0) -> None:
    """Local points coloured by ``status`` and coordination points by ``power`` (one hour)."""
    sites = run.candidates.set_index("id")
    for key in reversed(list(STATUS_STYLE)):  # the important ones on top
        colour, marker, size = STATUS_STYLE[key]
        ids = status.index[status.to_numpy() == key]
        if len(ids):
            geom = sites.loc[ids].geometry
            # An unfilled marker (x) takes its colour from ``c`` and has no edge to set.
            edge: dict[str, Any] = (
                {} if marker == "x" else {"edgecolors": "none" if marker == "." else "#404040"})
            ax.scatter(geom.x, geom.y, s=size * scale, c=colour, marker=marker,
                       linewidths=0.8 if marker == "x" else 0.3, zorder=3, **edge)
    stations = run.fire_stations.set_index("id")
    for key, colour in POWER_STYLE.items():
        ids = power.index[power.to_numpy() == key]
        if len(ids):
            geom = stations.loc[ids].geometry
            ax.scatter(geom.x, geom.y, s=42 * scale, c=colour, marker="^", edgecolors="black",
                       linewidths=0.6, zorder=4)


def point_legend(ax: Axes | Figure, loc: str = "upper left", **kwargs: Any) -> None:
    """The legend of local point statuses and coordination point power states.

    On a figure (``loc`` such as ``outside lower center``), it sits under all panels.
    """
    handles = [Line2D([], [], linestyle="none", marker=m, color=c,
                      markeredgecolor="#404040" if m == "o" else c,
                      markersize=7 if m != "." else 6, label=f"Local point: {POINT_STATUS[k]}")
               for k, (c, m, _) in STATUS_STYLE.items()]
    handles += [Line2D([], [], linestyle="none", marker="^", color=c, markeredgecolor="black",
                       markersize=8, label=f"Coordination point: {CP_POWER[k]}")
                for k, c in POWER_STYLE.items()]
    options: dict[str, Any] = {"loc": loc, "fontsize": 7, "framealpha": 0.9, **kwargs}
    ax.legend(handles=handles, **options)


#: How each synthetic layer is named in a map's footnote.
_SYNTHETIC_NAMES = {"fire_stations": "fire stations", "support_point_candidates":
                    "local points", "demand_points": "population centres"}


def data_note(run: RunLayers) -> str:
    """Which layers are real and which the build placed, for a map's footnote."""
    source = run.boundaries.split("#", 1)[0]
    base = ("Boundaries: CBS/PDOK municipalities 2025 (CC BY 4.0, CBS and Kadaster)."
            if not source or from_embedded(run.boundaries)
            else f"Boundaries: {Path(source).name}.")
    if not run.synthetic:
        return base
    names = ", ".join(_SYNTHETIC_NAMES.get(n, n) for n in run.synthetic)
    return (f"{base} SYNTHETIC layers: {names}, placed by the geodata build (counts follow "
            "sourced figures), not at their real addresses.")


def _footnote(fig: Figure, run: RunLayers) -> None:
    # As the figure's x label, so the layout keeps room for it below the legend.
    fig.supxlabel(textwrap.fill(data_note(run), 150), fontsize=6.5, color="0.3", x=0.01,
                  ha="left")


def _titles(fig: Figure, ax: Axes, title: str, note: str, run: RunLayers) -> None:
    fig.suptitle(title, fontsize=11)
    ax.set_title(note, fontsize=7, color="0.35")
    _footnote(fig, run)


def _overall_uncovered(cov: Coverage, hour: float) -> tuple[float, float]:
    """Residents uncovered at ``hour`` and residents counted then (at least 1, for shares)."""
    k = int(np.searchsorted(cov.hours, hour))
    return float(cov.uncovered[k].sum()), max(1.0, float(cov.counted_residents[k].sum()))


def coverage_map(run: RunLayers, covs: Mapping[str, Coverage], hour: float) -> Figure:
    """Uncovered residents per municipality at ``hour``, with the points' states.

    ``covs``: the coverage by measure (``open``, ``operational``), a panel each side by
    side, so the reassuring measure (any open point) never stands alone.
    """
    fig = Figure(figsize=(5.8 * len(covs) + 3.6, 7.6), layout="compressed")
    axes = list(fig.subplots(1, len(covs), squeeze=False,
                             gridspec_kw={"wspace": 0.02})[0])
    norm = Normalize(0.0, 1.0)
    status, power = point_states(run, [hour])
    parts = []
    for ax, (measure, cov) in zip(axes, covs.items(), strict=True):
        base_map(ax, run, uncovered_share(cov, hour), norm=norm)
        draw_points(ax, run, status.iloc[0], power.iloc[0])
        missing, total = _overall_uncovered(cov, hour)
        words = MEASURE_WORDS.get(measure, measure)
        ax.set_title(f"No {words} in reach:\n{missing:,.0f} residents ({missing / total:.0%})",
                     fontsize=10)
        parts.append(f"{missing / total:.0%} without {words}")
    point_legend(fig, loc="outside right upper", ncol=1)
    _colorbar(fig, axes, UNCOVERED_CMAP, norm, "Residents without such a point in reach",
              percent=True)
    total = _overall_uncovered(next(iter(covs.values())), hour)[1]
    fig.suptitle(f"{hour:g} hours into the outage ({run.label}, {total:,.0f} residents)\n"
                 "In reach: within walking or cycling distance (population.access); hatched: "
                 "not affected by the outage.\nNot counted: residents the grid operator "
                 "re-powered on transformer-house generators.", fontsize=11)
    _footnote(fig, run)
    return fig


#: How each coverage measure reads in a map's title.
MEASURE_WORDS = {"open": "open local point (with or without power)",
                 "operational": "operational local point (with power)"}


def small_multiples(run: RunLayers, cov: Coverage, hours: Sequence[float],
                    covering: str) -> Figure:
    """The coverage map at several hours side by side, on one colour scale."""
    n = len(hours)
    cols = n + 1 if n + 1 <= 4 else 3  # one more panel for the legend
    rows = math.ceil((n + 1) / cols)
    fig = Figure(figsize=(4.6 * cols, 4.0 * rows), layout="compressed")
    axes = fig.subplots(rows, cols, squeeze=False,
                        gridspec_kw={"hspace": 0.25, "wspace": 0.08})
    flat = list(axes.flat)
    norm = Normalize(0.0, 1.0)
    status, power = point_states(run, hours)
    for k, (ax, hour) in enumerate(zip(flat, hours, strict=False)):
        base_map(ax, run, uncovered_share(cov, hour), norm=norm)
        draw_points(ax, run, status.iloc[k], power.iloc[k], scale=0.7)
        missing, total = _overall_uncovered(cov, hour)
        ax.set_title(f"{hour:g} h: {missing / total:.0%} of residents uncovered", fontsize=10)
    for ax in flat[n:]:
        ax.set_axis_off()
    key = flat[n]
    point_legend(key, loc="upper center")
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=UNCOVERED_CMAP),
                       cax=key.inset_axes((0.08, 0.1, 0.84, 0.05)), orientation="horizontal")
    bar.set_label(f"Residents without an {covering}\nlocal point in reach", fontsize=8)
    bar.ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    fig.suptitle(f"Coverage gaps over time ({run.label})", fontsize=12)
    _footnote(fig, run)
    return fig


def vulnerable_map(run: RunLayers) -> Figure:
    """Vulnerable residents not reached before harm, per municipality."""
    table = vulnerable_not_reached(run).set_index("municipality")
    fig = Figure(figsize=(9, 7.6), layout="compressed")
    ax = fig.subplots()
    top = max(1.0, float(table["not_reached"].max()))
    norm = Normalize(0.0, top)
    base_map(ax, run, table["not_reached"].astype(float), cmap="Purples", norm=norm)
    _colorbar(fig, ax, "Purples", norm, "Vulnerable residents not reached before harm")
    total, danger = int(table["not_reached"].sum()), int(table["in_danger"].sum())
    share = f" ({total / danger:.0%} of {danger:,} in danger)" if danger else ""
    _titles(fig, ax, f"Vulnerable residents not reached in time: {total:,}{share}",
            f"{run.label}. Reached: by outreach, a neighbour or on their own, before harm.", run)
    return fig


def coverage_difference(a: Sequence[pd.Series], b: Sequence[pd.Series]) -> pd.Series:
    """Per municipality: the mean over ``b``'s runs minus the mean over ``a``'s runs."""
    mean_a = pd.concat(a, axis=1).mean(axis=1)
    mean_b = pd.concat(b, axis=1).mean(axis=1)
    return (mean_b - mean_a).dropna()


def difference_map(base: RunLayers, a: Sequence[pd.Series], b: Sequence[pd.Series],
                   labels: tuple[str, str], hour: float, covering: str) -> Figure:
    """B minus A: the covered share per municipality at ``hour``, mean over each set's runs.

    ``a`` and ``b`` hold one covered-share series per run (municipality code to
    share); ``base`` gives the borders.
    """
    diff = coverage_difference(a, b)
    span = max(0.01, float(diff.abs().max()) if len(diff) else 0.01)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)
    fig = Figure(figsize=(9, 7.6), layout="compressed")
    ax = fig.subplots()
    base_map(ax, base, diff, cmap="RdBu", norm=norm)
    _colorbar(fig, ax, "RdBu", norm, "Difference in residents covered (B minus A)",
              percent=True)
    weights = base.municipalities.set_index("code")["population"].reindex(diff.index)
    overall = float(np.average(diff, weights=weights)) if weights.sum() > 0 else math.nan
    _titles(fig, ax, f"Residents with an {covering} local point in reach at {hour:g} h: "
            f"B minus A, {overall:+.1%} overall (blue: B covers more)",
            f"A: {labels[0]} ({len(a)} run(s)); B: {labels[1]} ({len(b)} run(s)). "
            "Mean over the runs of each.", base)
    return fig
