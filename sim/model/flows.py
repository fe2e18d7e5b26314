"""The bulk results of the residents' visits, slice by slice (``Flows``), and their columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.params.population import NEEDS

#: Columns of the per-point slice table.
POINT_COLUMNS = (
    "arrived", "admitted", "served", "turned_away", "no_supplies", "not_offered",
    "wait_hours", "backlog", "staff", "helpers", "water_l", "food_rations", "blankets",
    "warmth_occupied", "left_at_closing",
)


@dataclass(frozen=True)
class Flows:
    """Bulk results per slice: per point and per municipality (and need)."""

    #: Start of each slice (hours).
    times: np.ndarray
    #: Local point ids, in column order.
    points: list[str]
    #: [slice, point, column] per ``POINT_COLUMNS``.
    at_points: np.ndarray
    #: [slice, point, need]: visits arrived and served per need.
    arrived_by_need: np.ndarray
    served_by_need: np.ndarray
    #: Municipality codes, in column order, and their residents.
    municipalities: list[str]
    residents: np.ndarray
    #: [slice, municipality]: residents within reach of an open point.
    in_reach: np.ndarray
    #: [slice, municipality]: residents within reach of an operational point (open with
    #: power), the measure of the norm.
    in_reach_operational: np.ndarray
    #: [slice, municipality, need]: visits that arose and found no open point in reach.
    unmet_no_reach: np.ndarray
    #: [slice, municipality, need]: all visits that arose.
    arisen: np.ndarray
    #: [slice, municipality]: the share of the residents whose street the grid operator
    #: re-powered on a transformer-house generator at the slice's start (they have power).
    repowered: np.ndarray
    #: [slice, point, 3]: open (1 full, 0.5 reduced, 0 not), counter staff, staff on duty.
    open_state: np.ndarray
    #: Demand point -> point distances (km, with detour), for outreach and self-travel.
    distance_km: np.ndarray
    demand_points: list[str]
    demand_municipality: list[str]
    #: Water (litres) and food rations handed out per visit for them.
    water_per_visit: float = 0.0
    food_per_visit: float = 0.0

    def point_frame(self) -> pd.DataFrame:
        """One row per slice and point with any activity: the per-point time series."""
        n_t, n_p, _ = self.at_points.shape
        frame = pd.DataFrame(self.at_points.reshape(n_t * n_p, -1), columns=list(POINT_COLUMNS))
        frame.insert(0, "site", np.tile(np.asarray(self.points, dtype=object), n_t))
        frame.insert(0, "time", np.repeat(self.times, n_p))
        for k, need in enumerate(NEEDS):
            frame[f"arrived_{need}"] = self.arrived_by_need[:, :, k].reshape(-1)
            frame[f"served_{need}"] = self.served_by_need[:, :, k].reshape(-1)
        active = (self.open_state[:, :, 0].reshape(-1) > 0) | (frame["arrived"] > 0) | (
            frame["backlog"] > 0) | (frame["left_at_closing"] > 0)
        return frame[active.to_numpy()].reset_index(drop=True)
