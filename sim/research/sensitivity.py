"""Charts of a sensitivity study: ranked inputs per indicator, and the two bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.results.files import save_figure

#: Bar colours: estimates (to measure) and sourced values.
COLOURS = {"estimate": "tab:orange", "sourced": "tab:blue"}


def ranked_figure(table: pd.DataFrame, indicator: str, value: str, conf: str,
                  title: str, xlabel: str, folder: Path, stem: str,
                  top: int = 15, second: tuple[str, str] | None = None) -> list[Path]:
    """Horizontal bars of ``value`` (with ``conf`` as error bars), the largest on top.

    ``second``: another (value, conf) pair drawn as thin bars beside (Sobol' S1 next to ST).
    """
    t = table[table["indicator"] == indicator].sort_values(value, ascending=False).head(top)
    t = t.iloc[::-1]
    fig = Figure(figsize=(8.5, 0.35 * len(t) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(t))
    colours = [COLOURS.get(k, "0.5") for k in t["kind"]]
    ax.barh(y, t[value], xerr=t[conf], color=colours, alpha=0.85, height=0.6,
            error_kw={"elinewidth": 0.8, "capsize": 2})
    if second is not None:
        ax.barh(y - 0.3, t[second[0]], xerr=t[second[1]], color="0.25", height=0.18,
                error_kw={"elinewidth": 0.6, "capsize": 1.5}, label=second[0])
    ax.set_yticks(y, [f"{k}{' (x)' if s else ''}" for k, s in zip(t["input"], t["scale"],
                                                                   strict=True)],
                  fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    ax.set_title(title, fontsize=10)
    handles = [ax.bar(0, 0, color=c, label=("ESTIMATE (measure it)" if k == "estimate"
                                            else "sourced"))
               for k, c in COLOURS.items() if k in set(t["kind"])]
    if second is not None:
        handles += [ax.bar(0, 0, color="0.25", label=f"{second[0]} (first order)")]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, folder, stem)


def bands_figure(bands: pd.DataFrame, words: dict[str, str], folder: Path) -> list[Path]:
    """Per indicator: the 5-95 % band from chance alone next to the band when estimates vary."""
    inds = [i for i in words if i in set(bands["indicator"])]
    fig = Figure(figsize=(8.5, 0.9 * len(inds) + 1.2))
    ax = fig.add_subplot()
    for j, ind in enumerate(inds):
        b = bands[bands["indicator"] == ind].set_index("source")
        for k, (source, colour) in enumerate((("seeds", "tab:blue"),
                                              ("inputs", "tab:orange"))):
            if source in b.index:
                y = j + (0.15 if k == 0 else -0.15)
                ax.plot([b.loc[source, "p05"] * 100, b.loc[source, "p95"] * 100], [y, y],
                        color=colour, lw=6, solid_capstyle="butt",
                        label=("chance alone (seeds)" if source == "seeds"
                               else "every estimate varies") if j == 0 else None)
                ax.plot(b.loc[source, "p50"] * 100, y, "k|", ms=10)
    ax.set_yticks(range(len(inds)), [words[i] for i in inds], fontsize=9)
    ax.set_xlabel("share (%), 5-95 % band, median marked")
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("How much of the spread is our ignorance, how much is chance", fontsize=10)
    return save_figure(fig, folder, "uncertainty_bands")
