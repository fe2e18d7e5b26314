"""What must hold in every run, whatever its (valid) settings: the model's invariants.

Checked by the fuzz test of valid configs (``tests/test_fuzz.py``) and its
1,000-example benchmark (``benchmarks/fuzz_configs.py``):

- every share in the region time series lies in [0, 1];
- visits are conserved at every local point: arrived = admitted + turned away
  + no supplies + not offered, and admitted = served + left when the point closed
  + still waiting at the end;
- supplies at the points (water, food, blankets) and the litres left in a
  generator's tank are never negative;
- fuel is delivered only for a request, at most once per request, and never
  before it was asked for;
- every vulnerable case has exactly one outcome, from the known set;
- no event lies before 0 or after the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.vulnerable import OUTCOMES as MODEL_OUTCOMES
from sim.results.run import RunResult

#: The outcomes a vulnerable case can have.
OUTCOMES = frozenset(MODEL_OUTCOMES)
#: Rounding slack for sums of hourly figures.
TOLERANCE = 1e-6


def violations(result: RunResult) -> list[str]:
    """Every invariant the run breaks, in words (empty: all hold)."""
    tables = result.tables()
    out: list[str] = []
    out += _shares(tables["timeseries_region"])
    out += _visits(tables["timeseries_points"])
    out += _fuel(tables["events"])
    out += _cases(tables["vulnerable_cases"])
    horizon = result.model.horizon_h
    times = tables["events"]["time"].to_numpy(float)
    if len(times) and (times.min() < 0 or times.max() > horizon + TOLERANCE):
        out.append(f"events from {times.min():g} h to {times.max():g} h; the horizon is "
                   f"{horizon:g} h")
    return out


def _shares(series: pd.DataFrame) -> list[str]:
    out = []
    for column in (c for c in series.columns if c.endswith("_share")):
        values = series[column].to_numpy(float)
        values = values[np.isfinite(values)]
        if len(values) and (values.min() < -TOLERANCE or values.max() > 1 + TOLERANCE):
            out.append(f"{column} ranges from {values.min():g} to {values.max():g}")
    return out


def _visits(points: pd.DataFrame) -> list[str]:
    if points.empty:
        return []
    out = []
    total = points.groupby("site").sum(numeric_only=True)
    last = points.sort_values("time").groupby("site").tail(1).set_index("site")
    scale = np.maximum(total["arrived"].to_numpy(float), 1.0)
    lost = (total["arrived"] - total["admitted"] - total["turned_away"] - total["no_supplies"]
            - total["not_offered"]).to_numpy(float)
    if (np.abs(lost) > 1e-6 * scale + TOLERANCE).any():
        out.append(f"visits not conserved at arrival (largest gap {np.abs(lost).max():g})")
    waiting = (total["admitted"] - total["served"] - total["left_at_closing"]
               - last["backlog"].reindex(total.index)).to_numpy(float)
    if (np.abs(waiting) > 1e-6 * scale + TOLERANCE).any():
        out.append(f"admitted visits neither served, left at closing nor waiting (largest gap "
                   f"{np.abs(waiting).max():g})")
    for column in ("water_l", "food_rations", "blankets", "backlog", "staff"):
        if column in points and (points[column] < -TOLERANCE).any():
            out.append(f"{column} negative at a point ({points[column].min():g})")
    return out


def _fuel(events: pd.DataFrame) -> list[str]:
    out = []
    asked = events[events["kind"] == "fuel_request"]
    given = events[events["kind"] == "fuel_delivered"]
    asked_at = {str(d).split(":")[0]: float(t) for d, t in zip(asked["detail"], asked["time"],
                                                               strict=True)}
    ids = [str(d).split(":")[0] for d in given["detail"]]
    if len(ids) != len(set(ids)):
        out.append("a fuel request was delivered more than once")
    for request, t in zip(ids, given["time"], strict=True):
        if request not in asked_at:
            out.append(f"fuel delivered for {request}, which nobody asked for")
            break
        if float(t) < asked_at[request] - TOLERANCE:
            out.append(f"fuel for {request} delivered before it was asked for")
            break
    low = events.loc[events["kind"] == "fuel_low", "value"].to_numpy(float)
    if len(low) and low.min() < -TOLERANCE:
        out.append(f"a tank below empty ({low.min():g} litres)")
    if len(given) and (given["value"].to_numpy(float) < -TOLERANCE).any():
        out.append("a negative fuel delivery")
    return out


def _cases(cases: pd.DataFrame) -> list[str]:
    if cases.empty:
        return []
    out = []
    if cases["case"].duplicated().any():
        out.append("a vulnerable case appears twice")
    outcome = cases["outcome"].astype(str)
    odd = sorted(set(outcome) - OUTCOMES)
    if odd or cases["outcome"].isna().any():
        out.append(f"vulnerable cases without one known outcome: {odd or 'empty'}")
    return out
