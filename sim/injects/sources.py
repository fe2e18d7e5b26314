"""What injects are made of: a finished run folder, read back, and its notable events.

A run folder holds the event log (``events.csv``), the vulnerable cases
(``vulnerable_cases.csv``), the geodata as the run used it (``region.gpkg``)
and the resolved config (``config.yaml``). Events are identified by their row
in ``events.csv`` (``E000123`` is row 123, counting from 0 below the header),
cases by their ``case`` id; every inject lists the ids it came from.

:func:`candidates` turns the log into notable events, one per situation a
team would be told about, each with its kind, time, place and numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio

from sim.injects.clock import minutes_of
from sim.results.folder import read_run_folder, read_table

#: Services whose state decides how a message can be sent.
SERVICES = ("mobile", "fixed_network", "c2000")


def event_id(row: int) -> str:
    """The id of the event in row ``row`` of ``events.csv``."""
    return f"E{row:06d}"


@dataclass
class RunData:
    """A finished run, as the inject generator needs it."""

    folder: Path
    config: dict[str, Any]
    events: pd.DataFrame
    cases: pd.DataFrame
    #: code -> name, code -> safety region.
    municipality_name: dict[str, str]
    municipality_region: dict[str, str]
    #: site id -> name, municipality, role, tank (L) and capacity where known.
    sites: dict[str, dict[str, Any]]
    _service: dict[tuple[str, str], tuple[list[float], list[bool]]] = field(
        default_factory=dict, repr=False)

    @property
    def start(self) -> datetime:
        """Local date and time the outage starts."""
        return datetime.fromisoformat(str(self.config["outage"]["start"]))

    def at(self, t: float) -> datetime:
        """Simulated local date and time at scenario hour ``t``, rounded up to the minute.

        The same rounding as ``scenario_label`` (``sim.injects.clock.minutes_of``), so
        ``simulated_at`` and ``scenario_time`` of an inject always agree.
        """
        return self.start + timedelta(minutes=minutes_of(float(t)))

    def region_of(self, municipality: str) -> str:
        """The safety region of a municipality ('' when unknown)."""
        return self.municipality_region.get(municipality, "")

    def name_of(self, municipality: str) -> str:
        """The name of a municipality (its code when unknown)."""
        return self.municipality_name.get(municipality, municipality)

    def site_name(self, site: str) -> str:
        """The name of a site (its id when unknown)."""
        return str(self.sites.get(site, {}).get("name", site))

    def service_up(self, municipality: str, service: str, t: float) -> bool:
        """Whether a service worked in a municipality at scenario hour ``t``."""
        if not self._service:
            self._build_service_states()
        times, values = self._service.get((municipality, service), ([0.0], [True]))
        i = bisect.bisect_right(times, t) - 1
        return values[max(i, 0)]

    def _build_service_states(self) -> None:
        e = self.events[self.events["kind"] == "service"]
        for (code, service), group in e.groupby(["municipality", "detail"], sort=False):
            times = [0.0]
            values = [True]
            for t, v in zip(group["time"], group["value"], strict=True):
                if float(t) <= times[-1] and len(times) == 1:
                    values[-1] = bool(v)
                    continue
                times.append(float(t))
                values.append(bool(v))
            self._service[(str(code), str(service))] = (times, values)


def load_run(folder: Path) -> RunData:
    """Read a run folder written by ``python -m sim``."""
    folder = Path(folder)
    config, events = read_run_folder(folder)
    cases = read_table(folder, "vulnerable_cases", empty_text=True)
    gpkg = folder / "region.gpkg"
    m = pyogrio.read_dataframe(gpkg, layer="municipalities", read_geometry=False)
    sites: dict[str, dict[str, Any]] = {}
    fs = pyogrio.read_dataframe(gpkg, layer="fire_stations", read_geometry=False)
    for row in fs.itertuples(index=False):
        sites[str(row.id)] = {"name": str(row.name), "municipality": str(row.municipality),
                              "role": "coordination_point" if bool(row.is_coordination_point)
                              else "fire_station", "tank_l": float(row.tank_l)}
    sp = pyogrio.read_dataframe(gpkg, layer="support_point_candidates", read_geometry=False)
    for row in sp.itertuples(index=False):
        sites[str(row.id)] = {"name": str(row.name), "municipality": str(row.municipality),
                              "role": "support_point", "tank_l": float(row.tank_l),
                              "capacity": int(row.capacity), "type": str(row.type)}
    return RunData(folder=folder, config=config, events=events, cases=cases,
                   municipality_name=dict(zip(m["code"].astype(str), m["name"].astype(str),
                                              strict=True)),
                   municipality_region=dict(zip(m["code"].astype(str),
                                                m["region"].astype(str), strict=True)),
                   sites=sites)


@dataclass(frozen=True)
class Candidate:
    """A notable event: what happened, when, where, and the records it rests on."""

    kind: str
    time: float
    municipality: str
    site: str
    values: dict[str, Any]
    sources: tuple[str, ...]


def _rows(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    return events[events["kind"] == kind]


def candidates(run: RunData) -> list[Candidate]:
    """Every notable event of the run, in time order (ties in a fixed order)."""
    out: list[Candidate] = []
    for make in (_grid_out, _service_down, _station_no_power, _generator_trouble, _fuel_low,
                 _cp_not_functional, _key_holder_late, _point_opened, _supplies_out,
                 _public_order, _emergency_reports, _mutual_aid, _locc_answer, _neighbour_reports,
                 _points_status):
        out.extend(make(run))
    return sorted(out, key=lambda c: (c.time, c.kind, c.municipality, c.site, c.sources))


def _grid_out(run: RunData) -> Iterator[Candidate]:
    grid = _rows(run.events, "grid")
    off = grid[grid["value"] == 0]
    for code, group in off.groupby("municipality", sort=True):
        row = group.index[0]
        back = grid[(grid["municipality"] == code) & (grid["value"] == 1)
                    & (grid["time"] > group["time"].iloc[0])]
        yield Candidate("grid_out", float(group["time"].iloc[0]), str(code), "",
                        {"restored_h": float(back["time"].iloc[-1]) if len(back) else None},
                        (event_id(int(row)),))


def _service_down(run: RunData) -> Iterator[Candidate]:
    services = _rows(run.events, "service")
    down = services[(services["value"] == 0) & services["detail"].isin(["c2000", "mobile",
                                                                         "water_pressure"])]
    for (code, service), group in down.groupby(["municipality", "detail"], sort=True):
        row = int(group.index[0])
        yield Candidate(f"{service}_down", float(group["time"].iloc[0]), str(code), "", {},
                        (event_id(row),))


def _station_no_power(run: RunData) -> Iterator[Candidate]:
    power = _rows(run.events, "site_power")
    none = power[(power["detail"] == "none")
                 & power["site"].map(lambda s: run.sites.get(s, {}).get("role")
                                     == "coordination_point")]
    for site, group in none.groupby("site", sort=True):
        row = int(group.index[0])
        yield Candidate("station_no_power", float(group["time"].iloc[0]),
                        str(group["municipality"].iloc[0]), str(site), {}, (event_id(row),))


def _generator_trouble(run: RunData) -> Iterator[Candidate]:
    for kind in ("generator_start_failed", "generator_failed", "generator_dry"):
        for row in _rows(run.events, kind).itertuples():
            yield Candidate(kind, float(row.time), str(row.municipality), str(row.site), {},
                            (event_id(int(row.Index)),))


def _fuel_low(run: RunData) -> Iterator[Candidate]:
    """A generator still waiting for its fuel is down to a quarter of its tank."""
    requests = _rows(run.events, "fuel_request")
    for row in _rows(run.events, "fuel_low").itertuples():
        tank = float(run.sites.get(str(row.site), {}).get("tank_l", 0.0))
        asked = requests[(requests["site"] == row.site) & (requests["time"] <= row.time)]
        sources = (event_id(int(asked.index[-1])),) if len(asked) else ()
        yield Candidate("fuel_low", float(row.time), str(row.municipality), str(row.site),
                        {"litres": round(float(row.value)), "tank_l": round(tank)},
                        (*sources, event_id(int(row.Index))))


#: Hours after activation by which a key holder is missed (the inject comes then).
KEY_HOLDER_LATE_H = 1.0


def _key_holder_late(run: RunData) -> Iterator[Candidate]:
    """The building of an activated point is still closed: no key holder yet."""
    activated = _rows(run.events, "point_activated")
    first = activated.groupby("site").head(1).set_index("site")
    for row in _rows(run.events, "key_holder").itertuples():
        if float(row.value) <= KEY_HOLDER_LATE_H or row.site not in first.index:
            continue
        act = first.loc[row.site]
        act_row = int(activated.index[(activated["site"] == row.site)][0])
        yield Candidate("key_holder_late", float(act["time"]) + KEY_HOLDER_LATE_H,
                        str(row.municipality), str(row.site),
                        {"came_after_h": float(row.value)},
                        (event_id(act_row), event_id(int(row.Index))))


#: Hours between the status reports on local points per safety region.
STATUS_EVERY_H = 12.0


def _points_status(run: RunData) -> Iterator[Candidate]:
    """Every 12 hours, per safety region: local points planned, activated, open, operational.

    Planned: every point the run activates at some time (the municipalities' plan);
    activated: those activated by then. The sources are the activations by then and
    the last state of each of those points.
    """
    activated = _rows(run.events, "point_activated")
    states = _rows(run.events, "point_state")
    if activated.empty:
        return
    horizon = float(run.config.get("horizon_h", run.events["time"].max()))
    region_of_site = {s: run.region_of(info["municipality"]) for s, info in run.sites.items()}
    first = activated.groupby("site", sort=True).head(1)
    planned = sorted(set(first["site"]))
    t = STATUS_EVERY_H
    while t <= horizon + 1e-9:
        tail = states[states["time"] <= t].groupby("site").tail(1)
        state_of = pd.Series(tail["detail"].to_numpy(), index=tail["site"].to_numpy())
        now = first[first["time"] <= t]
        for region in sorted({region_of_site.get(s, "") for s in planned} - {""}):
            sites = [s for s in planned if region_of_site.get(s) == region]
            active = now[now["site"].map(region_of_site) == region]
            detail = state_of.reindex(list(active["site"])).fillna("closed")
            chosen = set(active["site"])
            rows = [*active.index,
                    *(i for i, s in zip(tail.index, tail["site"], strict=True) if s in chosen)]
            code = next(c for c, r in run.municipality_region.items() if r == region)
            yield Candidate("points_status", t, code, "",
                            {"region": region, "planned": len(sites), "activated": len(active),
                             "operational": int((detail == "open_full").sum()),
                             "open": int(detail.isin(["open_full", "open_reduced"]).sum())},
                            tuple(event_id(int(i)) for i in rows))
        t += STATUS_EVERY_H


def _cp_not_functional(run: RunData) -> Iterator[Candidate]:
    cp = _rows(run.events, "cp_functional")
    for row in cp[(cp["value"] == 0) & (cp["time"] > 0)].itertuples():
        yield Candidate("cp_not_functional", float(row.time), str(row.municipality),
                        str(row.site), {}, (event_id(int(row.Index)),))


def _point_opened(run: RunData) -> Iterator[Candidate]:
    """A local point opens: on time, or late (hours after its activation)."""
    activated = _rows(run.events, "point_activated").groupby("site")
    states = _rows(run.events, "point_state")
    opened = states[states["detail"].isin(["open_full", "open_reduced"])]
    for site, group in opened.groupby("site", sort=True):
        row = int(group.index[0])
        t = float(group["time"].iloc[0])
        act = activated.get_group(site) if site in activated.groups else None
        sources = [event_id(row)]
        after = None
        if act is not None:
            sources.insert(0, event_id(int(act.index[0])))
            after = t - float(act["time"].iloc[0])
        yield Candidate("point_opened", t, str(group["municipality"].iloc[0]), str(site),
                        {"hours_after_activation": after,
                         "reduced": group["detail"].iloc[0] == "open_reduced"},
                        tuple(sources))


def _supplies_out(run: RunData) -> Iterator[Candidate]:
    states = _rows(run.events, "point_state")
    for row in states[states["detail"] == "out_of_supplies"].itertuples():
        yield Candidate("supplies_out", float(row.time), str(row.municipality), str(row.site),
                        {}, (event_id(int(row.Index)),))


def _public_order(run: RunData) -> Iterator[Candidate]:
    for row in _rows(run.events, "public_order").itertuples():
        yield Candidate("public_order", float(row.time), str(row.municipality), str(row.site),
                        {"turned_away": round(float(row.value))},
                        (event_id(int(row.Index)),))


def _emergency_reports(run: RunData) -> Iterator[Candidate]:
    for row in _rows(run.events, "emergency_reports").itertuples():
        yield Candidate("emergency_report", float(row.time), str(row.municipality),
                        str(row.site), {"reports": round(float(row.value))},
                        (event_id(int(row.Index)),))


def _mutual_aid(run: RunData) -> Iterator[Candidate]:
    """A region asks the LOCC for mobile generators (its first request and those with it).

    Runs without help from outside (``aid.enabled=false``) have no requests: then the
    moment its requests outrun its own pool is taken.
    """
    pools = (run.config.get("power", {}).get("mobile", {}) or {}).get("per_region", {}) or {}
    asked = _rows(run.events, "aid_requested")
    parts = asked["detail"].str.split(":")
    asked, region = asked[parts.str[1] == "generator"], parts.str[2]
    if len(asked):
        for name, mine in asked.groupby(region[asked.index], sort=True):
            first = mine.iloc[0]
            # the requests of the first LOCC round: those sent within two hours
            n = int((mine["time"] <= float(first["time"]) + 2.0).sum())
            yield Candidate("mutual_aid", float(first["time"]), str(first["municipality"]), "",
                            {"region": str(name), "requests": n,
                             "pool": int(pools.get(str(name), pools.get("default", 0)))},
                            (event_id(int(mine.index[0])),))
        return
    req = _rows(run.events, "mobile_requested")
    for region, pool in sorted(pools.items()):
        mine = req[req["municipality"].map(run.region_of) == region]
        if len(mine) <= int(pool):
            continue
        row = mine.iloc[int(pool)]
        index = int(mine.index[int(pool)])
        yield Candidate("mutual_aid", float(row["time"]), str(row["municipality"]), "",
                        {"region": region, "pool": int(pool), "requests": len(mine)},
                        (event_id(index),))


def _locc_answer(run: RunData) -> Iterator[Candidate]:
    """The LOCC grants a region units from outside (one inject per region and round)."""
    granted = _rows(run.events, "aid_granted")
    if granted.empty:
        return
    parts = granted["detail"].str.split(":")
    arrived = _rows(run.events, "aid_arrived")
    arrival = dict(zip(arrived["detail"].str.split(":").str[0], arrived["time"], strict=True))
    keys = pd.DataFrame({"region": parts.str[2], "resource": parts.str[1],
                         "source": parts.str[3], "request": parts.str[0],
                         "time": granted["time"]}, index=granted.index)
    for (_, name, resource), group in keys.groupby(["time", "region", "resource"], sort=True):
        first = group.index[0]
        arrive = [arrival[r] for r in group["request"] if r in arrival]
        yield Candidate("locc_answer", float(group["time"].iloc[0]),
                        str(run.events.loc[first, "municipality"]), "",
                        {"region": str(name), "resource": str(resource), "units": len(group),
                         "from": sorted(set(group["source"])),
                         "arrive_h": max(arrive) if arrive else None},
                        tuple(event_id(int(i)) for i in group.index[:5]))


def _neighbour_reports(run: RunData) -> Iterator[Candidate]:
    """Vulnerable residents reported at a point by neighbours or family (known, not listed)."""
    c = run.cases
    if c.empty or "known_at" not in c:
        return
    known = c[np.isfinite(c["known_at"].astype(float)) & (c["point"] != "")]
    known = known[known["known_at"].astype(float) < known["harm_at"].astype(float)]
    for group, rows in known.groupby("group", sort=True):
        for row in rows.sort_values("known_at").head(3).itertuples():
            yield Candidate("vulnerable_reported", float(row.known_at), str(row.municipality),
                            str(row.point), {"group": str(group),
                                             "harm_in_h": float(row.harm_at) - float(row.known_at)},
                            (str(row.case),))
