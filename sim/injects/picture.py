"""Aggregated pictures for a team: how many, where, the trend, and what is asked of it.

Crisis teams (the GBT, ROT and RBT) do not handle single emergencies: they
steer on a picture. A :class:`Picture` gathers, for the municipalities a team
is responsible for at scenario hour ``t``: where the power and telephony are
out (by name), coordination points without power, local points planned, open
and operational, emergency reports in the last period with their trend and
where most came from, and sites waiting for fuel; besides, for the controllers
only, residents in danger not yet reached and those harmed (a team would not
know these numbers). It is the body of the STARTEX (the starting
situation), of the situation after a time jump, and of the periodic picture
that keeps a team from falling silent. Every number rests on run records,
which the picture lists as its sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.injects.sources import RunData
from sim.injects.state import CARE_CLIENTS, Found, RunState

#: What each team is asked to decide in a picture, in its own language.
ASKS = {
    "nl": {"rot": "Prioriteer brandstof en mobiele aggregaten over coördinatiepunten en "
                  "noodsteunpunten, en besluit of bijstand van buurregio's of het LOCC "
                  "nodig is.",
           "rbt": "Besluit over de verdeling van schaarse middelen (aggregaten, brandstof, "
                  "mensen) tussen de gemeenten.",
           "gbt": "Besluit welke noodsteunpunten voorrang krijgen (openen, stroom, "
                  "bevoorrading), welke kwetsbare inwoners voorrang krijgen en hoe u de "
                  "inwoners informeert.",
           "bevolkingszorg": "Plan bemensing en bevoorrading van de noodsteunpunten en laat "
                             "kwetsbare inwoners opzoeken.",
           "meldkamer": "Handel de meldingen van noodsteunpunten en kazernes af en zet "
                        "eenheden zo in dat zij bereikbaar blijven.",
           "copi": "Coördineer de inzet ter plaatse en meld het beeld aan het ROT.",
           "cp": "Zet berichten van de noodsteunpunten door en bewaak stroom en bemensing "
                 "van de post.",
           "nsp": "Help inwoners en geef meldingen door aan het coördinatiepunt."},
    "en": {"rot": "Set priorities for fuel and mobile generators among coordination points and "
                  "support points, and decide whether help from neighbouring regions or the "
                  "LOCC (national operational coordination centre) is needed.",
           "rbt": "Decide how scarce means (generators, fuel, people) are shared between the "
                  "municipalities.",
           "gbt": "Decide which support points come first (opening, power, supplies), which "
                  "vulnerable residents come first and how you inform residents.",
           "bevolkingszorg": "Plan staff and supplies for the support points and have "
                             "vulnerable residents visited.",
           "meldkamer": "Handle the reports from support points and fire stations and deploy "
                        "units so that they stay reachable.",
           "copi": "Coordinate the response on site and report the picture to the ROT.",
           "cp": "Pass on the support points' messages and watch the station's power and "
                 "staff.",
           "nsp": "Help residents and pass reports on to the coordination point."},
}

WORDS: dict[str, dict[str, Any]] = {
    "nl": {"and": "en", "others": "{n} andere", "power_all": "In {names} geen stroom.",
           "all": "alle {n} gemeenten",
           "all_but": "{n} gemeenten (alle behalve {names})",
           "power_some": "In {n} van de {total} gemeenten geen stroom: {names}.",
           "power_none": "Overal stroom.",
           "restored": "Sinds {since} is de stroom terug in {names}.",
           "mobile": "mobiel netwerk weg in {names}", "c2000": "C2000 weg in {names}",
           "water_pressure": "geen waterdruk in {names}",
           "services": "Verbindingen en water: {parts}.",
           "stations": ("Eén coördinatiepunt (kazerne) zonder stroom en zonder werkend "
                        "noodaggregaat: {names}.", "{n} coördinatiepunten (kazernes) zonder "
                        "stroom en zonder werkend noodaggregaat: {names}."),
           "stations_none": "Alle coördinatiepunten hebben stroom.",
           "points": "Noodsteunpunten: {plan} gepland, {planned} geactiveerd, {open} open, "
                     "waarvan {full} met stroom (operationeel).",
           "points_closed": "Nog dicht: {names}.", "points_none": "Nog geen noodsteunpunt "
                                                                  "geactiveerd.",
           "reports": "Noodmeldingen via noodsteunpunten en kazernes: {n} in {period} tot "
                      "{clock}{trend}{where}.",
           "reports_none": "Geen noodmeldingen via noodsteunpunten in {period} tot {clock}.",
           "period": ("het uur", "de {hours} uur"),
           "where": "; de meeste in {top}", "up": " (meer dan in {period} ervoor: {prev})",
           "down": " (minder dan in {period} ervoor: {prev})",
           "same": " (evenveel als in {period} ervoor)",
           "fuel": ("Brandstof: één locatie wacht op een levering: {names}.",
                    "Brandstof: {n} locaties wachten op een levering: {names}."),
           "ask": "Gevraagd: {ask}"},
    "en": {"and": "and", "others": "{n} others", "power_all": "No power in {names}.",
           "all": "all {n} municipalities",
           "all_but": "{n} municipalities (all but {names})",
           "power_some": "No power in {n} of the {total} municipalities: {names}.",
           "power_none": "Power everywhere.",
           "restored": "Since {since} power is back in {names}.",
           "mobile": "mobile network down in {names}", "c2000": "C2000 down in {names}",
           "water_pressure": "no water pressure in {names}",
           "services": "Communications and water: {parts}.",
           "stations": ("One coordination point (fire station) without power and without a "
                        "working backup generator: {names}.", "{n} coordination points (fire "
                        "stations) without power and without a working backup generator: "
                        "{names}."),
           "stations_none": "Every coordination point has power.",
           "points": "Support points: {plan} planned, {planned} activated, {open} open, of "
                     "which {full} with power (operational).",
           "points_closed": "Still closed: {names}.",
           "points_none": "No support point activated yet.",
           "reports": "Emergency reports through support points and fire stations: {n} in "
                      "{period} to {clock}{trend}{where}.",
           "reports_none": "No emergency reports through support points in {period} to "
                           "{clock}.",
           "period": ("the hour", "the {hours} hours"),
           "where": "; most in {top}", "up": " (more than in {period} before: {prev})",
           "down": " (fewer than in {period} before: {prev})",
           "same": " (as many as in {period} before)",
           "fuel": ("Fuel: one site waiting for a delivery: {names}.",
                    "Fuel: {n} sites waiting for a delivery: {names}."),
           "ask": "Asked of you: {ask}"},
}


#: The longest period over which a picture counts emergency reports (and their trend).
REPORT_WINDOW_H = 6.0
#: Municipalities named in a picture's lists before "and n others" (most regions: all).
TOWNS_NAMED = 12


def name_list(names: Sequence[str], lang: str, limit: int = 6) -> str:
    """'A, B en C'; beyond ``limit`` names: 'A, B, ..., F en 4 andere'."""
    w = WORDS[lang]
    names = list(names)
    if len(names) > limit:
        rest = w["others"].format(n=len(names) - limit)
        names = [*names[:limit], rest]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {w['and']} {names[-1]}"


@dataclass(frozen=True)
class Picture:
    """The state of a team's municipalities at scenario hour ``t`` (see the module)."""

    t: float
    since: float
    codes: tuple[str, ...]
    dark: Found
    restored: Found
    services: dict[str, Found]
    stations: Found
    planned: Found
    #: Points the run activates at some time in these municipalities (the plan).
    plan: int
    open: Found
    operational: Found
    reports: dict[str, int]
    reports_before: int
    report_sources: tuple[str, ...]
    unreached: Found
    clients: int
    harmed: Found
    fuel: Found

    @property
    def sources(self) -> tuple[str, ...]:
        """Every record the picture rests on, each once, in a fixed order."""
        parts = (self.dark, self.restored, *self.services.values(), self.stations,
                 self.planned, self.open, self.fuel, self.harmed)
        seen = dict.fromkeys(s for part in parts for s in part.sources)
        seen.update(dict.fromkeys(self.report_sources))
        return tuple(seen)


def take_picture(state: RunState, codes: Sequence[str], t: float, since: float) -> Picture:
    """The picture of ``codes`` at hour ``t``; reports and restorations counted since ``since``."""
    window = min(max(t - since, 1.0), REPORT_WINDOW_H)
    unreached = state.unreached(codes, t)
    clients = state.unreached(codes, t, CARE_CLIENTS)
    return Picture(
        t=t, since=since, codes=tuple(codes), dark=state.without_power(codes, t),
        restored=state.restored(codes, since, t) if since < t else Found((), ()),
        services={s: state.service_down(s, codes, t)
                  for s in ("mobile", "c2000", "water_pressure")},
        stations=state.stations_without_power(codes, t),
        planned=(points := state.points(codes, t))[0], open=points[1], operational=points[2],
        plan=len(state.points(codes, float("inf"))[0]),
        reports=state.reports(codes, t - window, t),
        reports_before=sum(state.reports(codes, t - 2 * window, t - window).values()),
        report_sources=state.report_sources(codes, t - window, t), unreached=unreached,
        clients=len(clients), harmed=state.harmed(codes, t), fuel=state.fuel_waiting(codes, t))


def describe(p: Picture, run: RunData, lang: str, team_kind: str) -> list[str]:
    """The picture as sentences, with names and numbers, ending with what is asked."""
    w = WORDS[lang]

    def towns(found: Found | Sequence[str]) -> str:
        items = list(dict.fromkeys(found.items if isinstance(found, Found) else found))
        rest = [c for c in p.codes if c not in items]
        if len(items) > TOWNS_NAMED and len(rest) < len(items):  # name the exceptions
            return w["all_but"].format(n=len(items), names=name_list(
                [run.name_of(c) for c in rest], lang, TOWNS_NAMED)) if rest \
                else w["all"].format(n=len(items))
        return name_list([run.name_of(c) for c in items], lang, TOWNS_NAMED)

    def sites(found: Found, limit: int = 6) -> str:
        return name_list([f"{run.site_name(s)} ({run.name_of(run.sites[s]['municipality'])})"
                          if s in run.sites else s for s in found.items], lang, limit)

    clock = run.at(p.t).strftime("%d-%m %H:%M")
    lines = []
    if not p.dark:
        lines.append(w["power_none"])
    elif len(p.dark) == len(p.codes) or len(p.dark) > TOWNS_NAMED:
        lines.append(w["power_all"].format(names=towns(p.dark)))
    else:
        lines.append(w["power_some"].format(n=len(p.dark), total=len(p.codes),
                                            names=towns(p.dark)))
    if p.restored:
        lines.append(w["restored"].format(since=run.at(p.since).strftime("%d-%m %H:%M"),
                                          names=towns(p.restored)))
    parts = [w[s].format(names=towns(f)) for s, f in p.services.items() if f]
    if parts:
        lines.append(w["services"].format(parts="; ".join(parts)))
    lines.append(w["stations"][len(p.stations) > 1].format(n=len(p.stations),
                                                           names=sites(p.stations))
                 if p.stations else w["stations_none"])
    if p.planned:
        lines.append(w["points"].format(plan=p.plan, planned=len(p.planned), open=len(p.open),
                                        full=len(p.operational)))
        closed = [s for s in p.planned.items if s not in p.open.items]
        if closed and len(p.codes) == 1:
            lines.append(w["points_closed"].format(names=sites(Found(tuple(closed), ()), 4)))
    else:
        lines.append(w["points_none"])
    hours = round(min(max(p.t - p.since, 1.0), REPORT_WINDOW_H))
    period = w["period"][hours > 1].format(hours=hours)
    n = sum(p.reports.values())
    if n:
        if p.t - p.since < 1.0 or p.since <= 0 or p.t - 2 * hours < 0:
            trend = ""
        elif n > p.reports_before:
            trend = w["up"].format(period=period, prev=p.reports_before)
        elif n < p.reports_before:
            trend = w["down"].format(period=period, prev=p.reports_before)
        else:
            trend = w["same"].format(period=period)
        top = name_list([f"{run.name_of(c)} ({k})" for c, k in list(p.reports.items())[:3]],
                        lang)
        where = w["where"].format(top=top) if len(p.codes) > 1 else ""
        lines.append(w["reports"].format(n=n, period=period, clock=clock, trend=trend,
                                         where=where))
    else:
        lines.append(w["reports_none"].format(period=period, clock=clock))
    if p.fuel:
        lines.append(w["fuel"][len(p.fuel) > 1].format(n=len(p.fuel), names=sites(p.fuel, 4)))
    lines.append(w["ask"].format(ask=ASKS[lang][team_kind]))
    return lines
