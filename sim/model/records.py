"""Flat event records: every state change of interest, in time order.

A record is (time, kind, municipality, site, value, detail): ``value`` holds
the one number a kind needs (litres delivered, hours of delay, 1/0 for a
state) and ``detail`` a short text (a channel, a power source, a request id).
The records are the raw material for indicators, time series and injects.
"""

from __future__ import annotations

from typing import NamedTuple

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
    "generator_repaired": "a technician repaired a fixed generator; value hours since failure",
    "generator_dry": "a generator ran out of fuel; detail fixed/mobile",
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
    "mobile_released": "a mobile generator left a site whose grid returned",
    "message_sent": "a message left a site; detail kind:message id",
    "message_delivered": "a message reached its destination; value delay in hours; "
                         "detail kind:destination:channels per hop joined by +:message id",
}


class Recorder:
    """Collects records; the model's only output channel."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, time: float, kind: str, municipality: str = "", site: str = "",
            value: float = 0.0, detail: str = "") -> None:
        """Append one record."""
        self.records.append(Record(float(time), kind, municipality, site, float(value), detail))

    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame, in the order they happened (stable by time)."""
        frame = pd.DataFrame.from_records(self.records, columns=list(Record._fields))
        return frame.sort_values("time", kind="stable").reset_index(drop=True)
