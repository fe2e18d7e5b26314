"""The figure of help from outside the affected area: what was asked for and what came.

Left: per resource, the units asked for and still wanted (requested less
withdrawn) against the units arrived, cumulative over the run. Right: per
safety region, the units arrived by source. Drawn after a run whose event log
holds help from outside (``aid_*`` events, ``sim.model.aid``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.research.curves import COLOURS
from sim.results.aid import aid_columns

#: Resources in the order drawn, with their words.
RESOURCES = {"generator": "mobile generators", "truck": "fuel trucks",
             "fire_crew": "fire crews", "relief_team": "relief teams",
             "transformer_generator": "grid operator's generators"}
#: Sources in the order stacked, with their words.
SOURCES = {"regions": "other safety regions", "defence": "Defensie", "market": "market",
           "red_cross": "Red Cross", "grid_operator": "grid operator"}


def outside_help_figure(events: pd.DataFrame, label: str, horizon_h: float) -> Figure | None:
    """Asked for against arrived over time, and arrivals per region by source (None: no aid)."""
    frame = aid_columns(events)
    if frame.empty:
        return None
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    for k, (resource, words) in enumerate(RESOURCES.items()):
        mine = frame[frame["resource"] == resource]
        if mine.empty:
            continue
        colour = COLOURS[k % len(COLOURS)]
        steps = {"wanted": mine["kind"].map({"aid_requested": 1, "aid_withdrawn": -1}),
                 "arrived": (mine["kind"] == "aid_arrived").astype(int)}
        for name, change in steps.items():
            change = change.fillna(0).to_numpy()
            if name == "wanted" and not change.any():
                continue  # never asked for (the grid operator places its own units)
            t = np.concatenate([[0.0], mine["time"].to_numpy(), [horizon_h]])
            y = np.concatenate([[0], np.cumsum(change), [change.sum()]])
            what = "asked for, still wanted" if name == "wanted" else "arrived"
            left.step(t, y, where="post", color=colour,
                      linestyle="--" if name == "wanted" else "-", label=f"{words}: {what}")
    left.set_xlim(0, horizon_h)
    left.set_xlabel("hours since the outage began")
    left.set_ylabel("units (cumulative)")
    left.set_title(f"Help from outside: asked for and arrived ({label})", fontsize=10)
    left.legend(fontsize=7, frameon=False)
    arrived = frame[frame["kind"] == "aid_arrived"]
    table = (arrived.pivot_table(index="region", columns="source", values="time",
                                 aggfunc="size", fill_value=0)
             if not arrived.empty else pd.DataFrame())
    if table.empty:
        right.text(0.5, 0.5, "nothing arrived", ha="center", va="center")
        right.set_axis_off()
    else:
        bottom = np.zeros(len(table))
        for k, (source, words) in enumerate(SOURCES.items()):
            if source in table:
                right.barh(table.index, table[source], left=bottom, label=words,
                           color=COLOURS[(k + 4) % len(COLOURS)])
                bottom += table[source].to_numpy()
        right.set_xlabel("units arrived (all resources)")
        right.set_title("Arrived, per region and source", fontsize=10)
        right.legend(fontsize=7, frameon=False)
    return fig
