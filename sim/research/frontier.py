"""The cost-norm frontier of a plan: every package evaluated, the frontier with its seed band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.results.files import save_figure


def frontier_figure(trials: pd.DataFrame, front: pd.DataFrame, chosen: str,
                    target: float | None, budget: float | None, folder: Path,
                    title: str) -> list[Path]:
    """Cost (EUR million) against the 72-hour norm; write ``frontier.png`` and ``.svg``.

    Grey dots: every package (assured norm). Line: the frontier's assured norm;
    band: the lowest and highest norm over the seeds; dots: their mean.
    """
    fig = Figure(figsize=(8.5, 5.2))
    ax = fig.add_subplot()
    pct = 100.0
    x_all = trials["cost_eur"].to_numpy(float) / 1e6
    ax.scatter(x_all, trials["norm_assured"] * pct, s=10, color="0.7", zorder=1,
               label="every package evaluated (assured)")
    x = front["cost_eur"].to_numpy(float) / 1e6
    ax.fill_between(x, front["norm_min"] * pct, front["norm_max"] * pct, step="post",
                    color="tab:blue", alpha=0.18, lw=0, label="frontier: range over the seeds")
    ax.step(x, front["norm_assured"] * pct, where="post", color="tab:blue", lw=2,
            label="frontier: assured norm")
    ax.scatter(x, front["norm_mean"] * pct, s=14, color="tab:blue", zorder=3,
               label="frontier: mean over the seeds")
    pick = trials[trials["package"] == chosen]
    if not pick.empty:
        ax.scatter(pick["cost_eur"] / 1e6, pick["norm_assured"] * pct, s=120,
                   facecolor="none", edgecolor="tab:red", lw=2, zorder=4,
                   label="chosen package")
    if target is not None:
        ax.axhline(target * pct, color="tab:green", ls="--", lw=1,
                   label=f"target {target * pct:.0f} %")
    if budget is not None:
        ax.axvline(budget / 1e6, color="tab:orange", ls="--", lw=1,
                   label=f"budget EUR {budget / 1e6:.1f} million")
    ax.set_xlabel("First-year cost of the package (EUR million)")
    ax.set_ylabel("Local points operational at 72 h on backup power (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=min(0.0, float(np.nanmin(x_all)) if len(x_all) else 0.0))
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, folder, "frontier")
