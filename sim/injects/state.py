"""The run's state at any scenario hour, for a set of municipalities (pure look-ups).

The aggregated pictures for crisis teams (``sim.injects.picture``) and the
injects of outside parties (``sim.injects.outside``) ask the same questions of
a run: which municipalities are without power or telephony at hour ``t``,
which coordination points have no power, how many local points are planned,
open and operational, how many emergency reports came in between two hours,
which residents in danger are not yet reached, which generators wait for fuel.
:class:`RunState` answers them from the event log and the vulnerable cases,
each answer with the ids of the records it rests on.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.injects.sources import RunData, event_id

#: Care groups whose people are clients of a care provider (home care, equipment).
CARE_CLIENTS = ("home_ventilation", "home_ventilation_night", "home_oxygen", "home_care")

#: Kinds of records that count as something happening (for the periodic picture).
ACTIVITY = ("grid", "service", "site_power", "point_state", "emergency_reports",
            "fuel_request", "fuel_low", "generator_failed", "generator_start_failed",
            "generator_dry", "public_order", "cp_functional", "point_activated")


@dataclass(frozen=True)
class Found:
    """An answer: the places or sites found, and the records it rests on."""

    items: tuple[str, ...]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.items)


class _Steps:
    """A state that changes at known hours, per key: value at hour ``t`` by bisection."""

    def __init__(self, frame: pd.DataFrame, key: str, value: str, default: object) -> None:
        self.default = default
        self.series: dict[str, tuple[list[float], list[object], list[int]]] = {}
        for k, group in frame.groupby(key, sort=False):
            self.series[str(k)] = (group["time"].astype(float).tolist(),
                                   group[value].tolist(), [int(i) for i in group.index])

    def at(self, k: str, t: float) -> tuple[object, int | None]:
        """The value of ``k`` at hour ``t`` and the row that set it (None: the default)."""
        times, values, rows = self.series.get(k, ([], [], []))
        i = bisect.bisect_right(times, t) - 1
        return (values[i], rows[i]) if i >= 0 else (self.default, None)


class RunState:
    """Look-ups of a run's state by scenario hour and municipality."""

    def __init__(self, run: RunData) -> None:
        self.run = run
        e = run.events
        self._grid = _Steps(e[e["kind"] == "grid"], "municipality", "value", 1.0)
        service = e[e["kind"] == "service"]
        self._service = {name: _Steps(service[service["detail"] == name], "municipality",
                                      "value", 1.0)
                         for name in ("mobile", "c2000", "water_pressure", "fixed_network")}
        cps = [s for s, info in run.sites.items() if info["role"] == "coordination_point"]
        power = e[(e["kind"] == "site_power") & e["site"].isin(cps)]
        self._cp_power = _Steps(power, "site", "detail", "grid")
        self._cps_of: dict[str, list[str]] = defaultdict(list)
        for s in cps:
            self._cps_of[str(run.sites[s]["municipality"])].append(s)
        activated = e[e["kind"] == "point_activated"]
        first = activated.groupby("site", sort=False).head(1)
        self._activated = {str(s): (float(t), int(i)) for s, t, i
                           in zip(first["site"], first["time"], first.index, strict=True)}
        self._points_of: dict[str, list[str]] = defaultdict(list)
        for s in self._activated:
            self._points_of[str(run.sites.get(s, {}).get("municipality", ""))].append(s)
        self._point_state = _Steps(e[e["kind"] == "point_state"], "site", "detail", "closed")
        reports = e[e["kind"] == "emergency_reports"]
        self._reports = (reports["time"].to_numpy(float), reports["municipality"].astype(str)
                         .to_numpy(), reports["value"].to_numpy(float),
                         reports.index.to_numpy())
        asked = e[e["kind"] == "fuel_request"]
        done = e[e["kind"] == "fuel_delivered"]
        done_at = {str(d).split(":")[0]: float(t) for d, t in zip(done["detail"], done["time"],
                                                                   strict=True)}
        self._fuel = [(float(t), str(s), str(m), done_at.get(str(d).split(":")[0], np.inf),
                       int(i)) for t, s, m, d, i in zip(asked["time"], asked["site"],
                                                        asked["municipality"], asked["detail"],
                                                        asked.index, strict=True)]
        busy = e[e["kind"].isin(ACTIVITY)]
        self._busy = (busy["time"].to_numpy(float), busy["municipality"].astype(str).to_numpy())
        c = run.cases
        self._cases = c[c["in_danger"].astype(bool)] if not c.empty and "in_danger" in c \
            else pd.DataFrame()

    def activity(self, codes: Iterable[str], after: float, t: float) -> int:
        """How many notable records (``ACTIVITY``) the municipalities have in ``(after, t]``."""
        times, places = self._busy
        return int((np.isin(places, list(codes)) & (times > after) & (times <= t)).sum())

    # --- places ----------------------------------------------------------------------------

    def without_power(self, codes: Iterable[str], t: float) -> Found:
        """Municipalities whose grid is off at hour ``t``."""
        return self._steps_off(self._grid, codes, t)

    def service_down(self, service: str, codes: Iterable[str], t: float) -> Found:
        """Municipalities where ``service`` (mobile, c2000, water_pressure) is down at ``t``."""
        return self._steps_off(self._service[service], codes, t)

    def restored(self, codes: Iterable[str], after: float, t: float) -> Found:
        """Municipalities whose grid came back in ``(after, t]``."""
        items, rows = [], []
        for code in codes:
            before, _ = self._grid.at(code, after)
            now, row = self._grid.at(code, t)
            if not before and now and row is not None:
                items.append(code)
                rows.append(event_id(row))
        return Found(tuple(items), tuple(rows))

    @staticmethod
    def _steps_off(steps: _Steps, codes: Iterable[str], t: float) -> Found:
        items, rows = [], []
        for code in codes:
            value, row = steps.at(code, t)
            if not value and row is not None:
                items.append(code)
                rows.append(event_id(row))
        return Found(tuple(items), tuple(rows))

    # --- sites -----------------------------------------------------------------------------

    def stations_without_power(self, codes: Iterable[str], t: float) -> Found:
        """Coordination points (fire stations) with neither grid nor backup at ``t``."""
        items, rows = [], []
        for code in codes:
            for site in self._cps_of.get(code, []):
                detail, row = self._cp_power.at(site, t)
                if detail == "none" and row is not None:
                    items.append(site)
                    rows.append(event_id(row))
        return Found(tuple(items), tuple(rows))

    def points(self, codes: Iterable[str], t: float) -> tuple[Found, Found, Found]:
        """Local points planned (activated by ``t``), open, and operational (open with power)."""
        planned, open_, full = [], [], []
        p_rows, o_rows, f_rows = [], [], []
        for code in codes:
            for site in self._points_of.get(code, []):
                at, row = self._activated[site]
                if at > t:
                    continue
                planned.append(site)
                p_rows.append(event_id(row))
                detail, srow = self._point_state.at(site, t)
                if detail in ("open_full", "open_reduced") and srow is not None:
                    open_.append(site)
                    o_rows.append(event_id(srow))
                    if detail == "open_full":
                        full.append(site)
                        f_rows.append(event_id(srow))
        return (Found(tuple(planned), tuple(p_rows)), Found(tuple(open_), tuple(o_rows)),
                Found(tuple(full), tuple(f_rows)))

    def fuel_waiting(self, codes: Iterable[str], t: float) -> Found:
        """Sites with a fuel request made by ``t`` and not delivered by ``t``."""
        chosen = set(codes)
        items: list[str] = []
        rows: list[str] = []
        for asked, site, code, done, row in self._fuel:
            if code in chosen and asked <= t < done and site not in items:
                items.append(site)
                rows.append(event_id(row))
        return Found(tuple(items), tuple(rows))

    # --- people ----------------------------------------------------------------------------

    def reports(self, codes: Iterable[str], after: float, t: float) -> dict[str, int]:
        """Emergency reports per municipality in ``(after, t]`` (only municipalities with any)."""
        times, places, values, _ = self._reports
        chosen = np.isin(places, list(codes)) & (times > after) & (times <= t)
        out: dict[str, int] = defaultdict(int)
        for code, n in zip(places[chosen], values[chosen], strict=True):
            out[str(code)] += round(float(n))
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def report_sources(self, codes: Iterable[str], after: float, t: float) -> tuple[str, ...]:
        """The rows of the emergency reports in ``(after, t]``."""
        times, places, _, rows = self._reports
        chosen = np.isin(places, list(codes)) & (times > after) & (times <= t)
        return tuple(event_id(int(r)) for r in rows[chosen])

    def unreached(self, codes: Iterable[str], t: float, groups: Iterable[str] = ()) -> Found:
        """Residents in danger at ``t`` (their clock started) whom no help has reached yet.

        ``groups``: only these care groups (empty: all). Items are municipality codes,
        one per resident; sources their case ids.
        """
        c = self._cases
        if c.empty:
            return Found((), ())
        mask = (c["municipality"].isin(list(codes)) & (c["clock_start"].astype(float) <= t)
                & (c["reached_at"].astype(float) > t) & (c["danger_end"].astype(float) > t)
                & (c["outcome"] != "coped"))
        if groups:
            mask &= c["group"].isin(list(groups))
        chosen = c[mask]
        return Found(tuple(chosen["municipality"].astype(str)), tuple(chosen["case"].astype(str)))

    def harmed(self, codes: Iterable[str], t: float) -> Found:
        """Residents harmed by hour ``t`` (help came too late or not at all)."""
        c = self._cases
        if c.empty:
            return Found((), ())
        chosen = c[c["municipality"].isin(list(codes)) & (c["outcome"] == "harmed")
                   & (c["harm_at"].astype(float) <= t)]
        return Found(tuple(chosen["municipality"].astype(str)), tuple(chosen["case"].astype(str)))


def count_by_place(found: Found) -> dict[str, int]:
    """How many items per value (e.g. residents per municipality), most first."""
    out: dict[str, int] = defaultdict(int)
    for item in found.items:
        out[item] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
