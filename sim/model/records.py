"""Flat event records: every state change of interest, in time order.

A record is (time, kind, municipality, site, value, detail): ``value`` holds
the one number a kind needs (litres delivered, hours of delay, 1/0 for a
state) and ``detail`` a short text (a channel, a power source, a request id).
The records are the raw material for indicators, time series and injects.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd


class Record(NamedTuple):
    """One event."""

    time: float
    kind: str
    municipality: str
    site: str
    value: float
    detail: str


#: Record kinds and what their value and detail mean (the event log's legend).
KINDS: dict[str, str] = {
    "grid": "grid power in a municipality changed; value 1 on, 0 off",
    "service": "a vital service changed; detail the service, value 1 up, 0 down",
    "site_power": "a site's power source changed; detail grid/fixed/mobile/none",
    "generator_start_failed": "a fixed generator failed to start",
    "generator_failed": "a running fixed generator broke down",
    "generator_repaired": "a technician repaired a fixed generator; detail the generator id",
    "generator_dry": "a generator ran out of fuel; detail the generator id",
    "technician_dispatched": "a technician left for a site; value travel hours",
    "fuel_request": "a generator asked for fuel; value litres left; detail request:generator",
    "fuel_request_received": "the fuel coordinator received a request; detail the request id",
    "fuel_delivered": "a truck delivered fuel; value litres; "
                      "detail request:generator:wait hours:truck",
    "outside_fuel_delivered": "a truck served outside demand; value litres; "
                              "detail kind:wait hours",
    "mobile_requested": "a site asked for a mobile generator; detail the priority kind",
    "mobile_dispatched": "a mobile generator left for a site; value travel hours",
    "mobile_arrived": "a mobile generator was connected at a site",
    "aid_requested": "a region's ROT asked the LOCC for one unit from outside (detail: "
                     "request:resource:region::, resource generator or truck)",
    "aid_withdrawn": "the LOCC withdrew a request the region no longer needed (value: hours "
                     "since the request)",
    "aid_granted": "the LOCC granted a unit from outside (detail: "
                   "request:resource:region:source:unit; value: hours since the request)",
    "aid_arrived": "a unit from outside reached the region's base and joined its pool or "
                   "fleet (value: hours since the request)",
    "aid_released": "a generator from outside went back to its source (value: hours since "
                    "the request)",
    # The grid operator's own generators on transformer houses (sim.model.grid_operator)
    # use aid_arrived / aid_released with resource transformer_generator and source
    # grid_operator: value the hour since the outage began (arrived) and the hours the
    # unit stood there (released); there is no request, grant or withdrawal.
    "repowered": "residents of a municipality on the grid operator's generators changed; "
                 "value residents re-powered; detail region",
    "mobile_released": "a mobile generator left a site (its grid is back for good, or its "
                       "own generator runs again)",
    "mobile_aborted": "a mobile generator arrived where it was no longer needed",
    "staff_on_duty": "staff on duty at a post changed; site the post; value people on duty; "
                     "detail required:active (1/0):most allowed now (target less relief):"
                     "staffed (1/0: enough people, and enough professionals among them)",
    "shift_end": "a person went off duty; value hours worked in that shift; "
                 "detail person:kind",
    "cp_functional": "a coordination point started or stopped functioning (powered and "
                     "staffed to its minimum); value 1/0",
    "key_holder": "the key holder opened a local point's building; value hours since its "
                  "activation",
    "fuel_low": "a generator still waiting for fuel is down to a quarter of its tank; value "
                "litres left; detail the generator id",
    "point_set_up": "a local point's building was set up (after its key holder came and "
                    "enough staff were there); value hours the set-up took",
    "point_activated": "a local point's activation order arrived (or its trigger fired)",
    "point_state": "a local point opened or closed; value 1 open with power, 0.5 open with "
                   "reduced functions, 0 closed; detail the state (closed, out_of_supplies, "
                   "open_reduced, open_full, stood_down)",
    "point_closed": "a local point closed for good after the nafase (stood down)",
    "cp_stood_down": "a coordination point stood down after the nafase; its crews went home",
    "supplies_delivered": "regional stock reached a local point; value litres of water; "
                          "detail food rations:blankets",
    "emergency_reports": "emergency reports taken at a point were sent to the meldkamer as one "
                         "message; value reports; detail message id:hours from the emergency "
                         "to the report at the point",
    "public_order": "a public-order incident at a point (scarce goods, long queue) asked for "
                    "police; value visitors turned away short of goods; detail message id",
    "message_sent": "a message left a site; detail kind:message id",
    "message_delivered": "a message reached its destination; value delay in hours; "
                         "detail kind:destination:channels per hop joined by +:message id",
}


class Recorder:
    """Collects records; the model's only output channel."""

    def __init__(self) -> None:
        # One list per ``Record`` field: cheaper to fill than a tuple per row, and
        # nothing for the garbage collector to walk (no container per row).
        self._times: list[float] = []
        self._kinds: list[str] = []
        self._municipalities: list[str] = []
        self._sites: list[str] = []
        self._values: list[float] = []
        self._details: list[str] = []

    def _columns(self) -> tuple[list[float], list[str], list[str], list[str], list[float],
                                list[str]]:
        return (self._times, self._kinds, self._municipalities, self._sites, self._values,
                self._details)

    def __len__(self) -> int:
        return len(self._times)

    def add(self, time: float, kind: str, municipality: str = "", site: str = "",
            value: float = 0.0, detail: str = "") -> None:
        """Append one record."""
        self._times.append(float(time))
        self._kinds.append(kind)
        self._municipalities.append(municipality)
        self._sites.append(site)
        self._values.append(float(value))
        self._details.append(detail)

    def clear(self) -> None:
        """Forget every record."""
        for column in self._columns():
            column.clear()

    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame, in the order they happened (stable by time)."""
        frame = pd.DataFrame(
            {name: np.array(column, dtype=float if name in ("time", "value") else object)
             for name, column in zip(Record._fields, self._columns(), strict=True)},
            copy=False)
        return frame.sort_values("time", kind="stable").reset_index(drop=True)
