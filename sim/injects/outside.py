"""Outside parties played by exercise control (tegenspel), each traced to the run.

Exercise control plays the parties the teams deal with but that are not in
the room. Each of their injects is derived from the run's records and lists
them as its sources; nothing is invented without a trace:

- the grid operator (netbeheerder): a first restoration forecast a day ahead,
  deliberately wide, a sharper one six hours ahead, and the restoration
  itself, per wave of restored municipalities in the run;
- care providers (zorgaanbieders): every eight hours, the clients in danger
  they cannot reach (vulnerable cases of the home-care and equipment groups
  not yet reached by anyone), per municipality and per region;
- media and residents: a local broadcaster asking why a municipality with
  activated points has none open at a status moment;
- a mayor whose GBT is not in play calling the ROT when fewer than half of
  the municipality's activated points are operational at a status moment (the
  three worst off per region; again only when their numbers changed);
- the drinking-water company (``water_pressure_down``) and neighbouring
  regions asking for help (``mutual_aid``) are events of ``sim.injects.sources``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sim.injects.sources import STATUS_EVERY_H, Candidate, RunData, event_id
from sim.injects.state import CARE_CLIENTS, RunState, count_by_place

#: Hours before a restoration that the grid operator gives its first (wide) forecast
#: and its second (sharp) one; the first window runs from 6 h before to 12 h after.
FORECAST_AHEAD_H = (24.0, 6.0)
FORECAST_WINDOW_H = (6.0, 12.0)
#: Hours between the care providers' calls.
CARE_EVERY_H = 8.0
#: A mayor calls when fewer than this share of the municipality's points are operational.
MAYOR_BELOW = 0.5
#: At most this many mayors per safety region call at one status moment (the worst off).
MAYOR_CALLS = 3


def outside_candidates(run: RunData, state: RunState) -> list[Candidate]:
    """Every outside party's inject of the run, in time order."""
    out: list[Candidate] = []
    for make in (_grid, _care, _points_pressure):
        out.extend(make(run, state))
    return out


def _grid(run: RunData, state: RunState) -> Iterator[Candidate]:
    """Forecasts and restorations per wave (same hour) and safety region."""
    grid = run.events[run.events["kind"] == "grid"]
    back = grid[grid["value"] == 1]
    waves: dict[tuple[float, str], list[tuple[str, int]]] = defaultdict(list)
    for t, code, row in zip(back["time"], back["municipality"], back.index, strict=True):
        waves[(round(float(t), 2), run.region_of(str(code)))].append((str(code), int(row)))
    for (t, region), rows in sorted(waves.items()):
        codes = [c for c, _ in rows]
        sources = tuple(event_id(r) for _, r in rows)
        base = {"region": region, "codes": codes, "restored_at": t}
        first, second = FORECAST_AHEAD_H
        low, high = FORECAST_WINDOW_H
        if t - first > 0:
            yield Candidate("grid_forecast", t - first, codes[0], "",
                            {**base, "from_h": t - low, "to_h": t + high, "sharp": False},
                            sources)
        if t - second > 0:
            yield Candidate("grid_forecast", t - second, codes[0], "",
                            {**base, "from_h": t, "to_h": t, "sharp": True}, sources)
        yield Candidate("grid_restored", t, codes[0], "", base, sources)


def _care(run: RunData, state: RunState) -> Iterator[Candidate]:
    """Care providers' clients in danger whom nobody has reached, per municipality and region."""
    horizon = float(run.config.get("horizon_h", run.events["time"].max()))
    by_region: dict[str, list[str]] = defaultdict(list)
    for code, region in run.municipality_region.items():
        by_region[region].append(code)
    t = CARE_EVERY_H / 2
    while t <= horizon:
        for region, codes in sorted(by_region.items()):
            found = state.unreached(sorted(codes), t, CARE_CLIENTS)
            if not found:
                continue
            per = count_by_place(found)
            for code, n in per.items():
                mine = tuple(s for s, c in zip(found.sources, found.items, strict=True)
                             if c == code)
                yield Candidate("care_clients", t, code, "", {"clients": n}, mine)
            yield Candidate("care_clients_region", t, next(iter(per)), "",
                            {"region": region, "clients": len(found), "codes": list(per),
                             "per": per}, found.sources)
        t += CARE_EVERY_H


def _points_pressure(run: RunData, state: RunState) -> Iterator[Candidate]:
    """Media and mayors at each status moment.

    Media ask about municipalities without an open point; mayors of municipalities
    short of operational points call the ROT.
    """
    horizon = float(run.config.get("horizon_h", run.events["time"].max()))
    told: dict[str, tuple[int, int]] = {}  # a mayor calls again only when things changed
    t = STATUS_EVERY_H
    while t <= horizon + 1e-9:
        short: dict[str, list[tuple[float, int, str, Candidate]]] = defaultdict(list)
        for code in sorted(run.municipality_name):
            planned, open_, full = state.points([code], t)
            if not planned:
                continue
            if not open_:
                yield Candidate("media_no_point", t, code, "", {"planned": len(planned)},
                                planned.sources)
            elif len(full) < MAYOR_BELOW * len(planned) \
                    and told.get(code) != (len(planned), len(full)):
                region = run.region_of(code)
                call = Candidate("mayor_call", t, code, "",
                                 {"region": region, "planned": len(planned),
                                  "operational": len(full), "open": len(open_)},
                                 planned.sources + full.sources)
                short[region].append((len(full) / len(planned), -len(planned), code, call))
        for calls in short.values():  # the hardest-hit municipalities' mayors call
            for *_, call in sorted(calls)[:MAYOR_CALLS]:
                told[call.municipality] = (call.values["planned"], call.values["operational"])
                yield call
        t += STATUS_EVERY_H
