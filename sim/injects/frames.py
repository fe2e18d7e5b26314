"""Injects that frame play: STARTEX, the situation after a jump, pictures and ENDEX.

Each team in play starts with a STARTEX: the starting situation (startbeeld)
of its own municipalities at the first segment's first hour, by name and
number, and what the team does not know yet. After a time jump a team gets
the situation at resumption: what changed since the end of the previous
segment and the picture at that hour. When a team would otherwise be silent
for too long while the run has events for it, exercise control gives it the
periodic picture (as from LCMS, the national crisis-management system). Play
ends with an ENDEX for every team. What a team could not know (residents in
danger whom nobody has reached, residents harmed) goes to the controllers'
notes, not to the players.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sim.injects.clock import scenario_label, to_minute
from sim.injects.inject import METHODS, TEAM_KINDS, Inject, Settings, Team, grip_at
from sim.injects.picture import Picture, describe, name_list, take_picture
from sim.injects.single import Singles
from sim.injects.sources import RunData
from sim.injects.state import RunState, count_by_place
from sim.injects.texts import EXERCISE

if TYPE_CHECKING:  # msel builds the frames; its Names only types the argument here
    from sim.injects.msel import Names

TEXTS = {
    "nl": {"control": "Oefenleiding", "lcms": "LCMS-beeld (gesimuleerd)",
           "startex_subject": "STARTEX: startbeeld {label}",
           "startex": "STARTEX. Het is {clock} ({when}). Sinds {start} is er een grootschalige "
                      "stroomstoring in Oost-Nederland. Uw startbeeld voor {scope}:",
           "unknown": "Wat u nog niet weet: {items}.",
           "unknown_restore": "wanneer de stroom terugkomt (de netbeheerder kan nog geen "
                              "hersteltijd geven)",
           "unknown_calls": "hoeveel inwoners in {names} hulp nodig hebben (112 is daar mobiel "
                            "niet bereikbaar)",
           "unknown_care": "hoeveel kwetsbare inwoners thuis in nood zijn",
           "jump_subject": "Tijdsprong: situatie {label} {when}",
           "jump": "Tijdsprong. Het is nu {clock} ({when}), {hours} uur na het einde van de "
                   "vorige speelronde ({before}). Situatie voor {scope}:",
           "picture_subject": "Beeld {label} {when}",
           "picture": "Beeld voor {scope} op {clock} ({when}):",
           "endex_subject": "ENDEX",
           "endex": "ENDEX. De oefening is afgelopen. Rond lopende acties af en lever uw beeld "
                    "en besluitenlijst in bij de oefenleiding.",
           "start_action": "Beeld vormen, prioriteiten stellen, eerste besluiten nemen.",
           "picture_action": "Beeld bijwerken en besluiten op het eigen niveau nemen.",
           "endex_action": "Spel stoppen; evaluatie voorbereiden.",
           "objective": "Informatiemanagement en besluitvorming",
           "hidden": "Volgens de run (niet bekend bij de spelers): {unreached} kwetsbare "
                     "inwoners in nood en door niemand bereikt ({where}van hen cliënten van "
                     "zorgaanbieders: {clients}); met schade: {harmed}.",
           "where": "de meeste in {top}; ",
           "the_area": "het oefengebied", "area_label": "oefengebied"},
    "en": {"control": "Exercise control", "lcms": "LCMS picture (simulated)",
           "startex_subject": "STARTEX: starting situation {label}",
           "startex": "STARTEX. It is {clock} ({when}). Since {start} a large power outage "
                      "has hit the east of the Netherlands. Your starting situation for "
                      "{scope}:",
           "unknown": "What you do not know yet: {items}.",
           "unknown_restore": "when power will be back (the grid operator cannot say yet)",
           "unknown_calls": "how many residents in {names} need help (112 cannot be reached "
                            "by mobile there)",
           "unknown_care": "how many vulnerable residents are in danger at home",
           "jump_subject": "Time jump: situation {label} {when}",
           "jump": "Time jump. It is now {clock} ({when}), {hours} hours after the end of the "
                   "previous round of play ({before}). Situation for {scope}:",
           "picture_subject": "Picture {label} {when}",
           "picture": "Picture for {scope} at {clock} ({when}):",
           "endex_subject": "ENDEX",
           "endex": "ENDEX. The exercise has ended. Finish current actions and hand your "
                    "picture and list of decisions to exercise control.",
           "start_action": "Build the picture, set priorities, take first decisions.",
           "picture_action": "Update the picture and decide at your own level.",
           "endex_action": "Stop play; prepare the debrief.",
           "objective": "Information management and decision-making",
           "hidden": "Per the run (not known to the players): {unreached} vulnerable "
                     "residents in danger and not reached by anyone ({where}of them clients of "
                     "care providers: {clients}); harmed: {harmed}.", "where": "most in {top}; ",
           "the_area": "the exercise area", "area_label": "exercise area"},
}


class Frames:
    """Frame injects for the teams in play."""

    def __init__(self, run: RunData, s: Settings, state: RunState, singles: Singles,
                 names: Names) -> None:
        self.run, self.s, self.state, self.singles = run, s, state, singles
        self.lang = s.language
        self.w = TEXTS[self.lang]
        self.area = sorted(c for c in run.municipality_name if singles.in_scope_place(c))
        self.names = names

    def codes(self, team: Team) -> list[str]:
        """The municipalities a team is responsible for (the exercise area: no target)."""
        return sorted(self.names.codes(team)) if team.target else self.area

    def scope(self, team: Team, label: bool = False) -> str:
        """What a team is responsible for, as a text names it (``label``: in a subject)."""
        scope = TEAM_KINDS[team.kind]
        if scope == "region":
            return team.target
        codes = self.codes(team)
        if len(codes) <= 3:
            return name_list([self.run.name_of(c) for c in codes], self.lang)
        return self.w["area_label" if label else "the_area"]

    def _inject(self, team: Team, t: float, at: datetime, kind: str, subject: str,
                message: str, action: str, notes: str, sources: tuple[str, ...],
                sender: str) -> Inject:
        t = to_minute(t)
        label = self.singles.label(team)
        # The picture comes through LCMS to crisis teams and the meldkamer; a point or
        # coordination point without it gets it by runner.
        method = "in_person" if kind != "picture" else (
            "runner" if TEAM_KINDS[team.kind] == "site" else "lcms")
        return Inject(id="", scenario_h=t, scenario_time=scenario_label(t),
                      simulated_at=self.run.at(t), deliver_at=at, track=label, sender=sender,
                      sender_kind="simulated", to=label,
                      method=METHODS[self.lang][method],
                      subject=subject, message=f"{EXERCISE} - {message}",
                      expected_action=action, objective=self.w["objective"],
                      grip_level=grip_at(self.s, t), notes=notes, contingency=False,
                      status="planned", sources=sources, kind=kind, team=team.key,
                      place=self.scope(team))

    def _body(self, team: Team, p: Picture) -> tuple[str, str]:
        lines = describe(p, self.run, self.lang, team.kind)
        per = count_by_place(p.unreached)
        top = name_list([f"{self.run.name_of(c)} ({n})" for c, n in list(per.items())[:3]],
                        self.lang)
        where = self.w["where"].format(top=top) if len(p.codes) > 1 and top else ""
        hidden = self.w["hidden"].format(unreached=len(p.unreached), harmed=len(p.harmed),
                                         clients=p.clients, where=where)
        return "\n".join(lines), hidden

    def _clock(self, t: float) -> str:
        return self.run.at(t).strftime("%d-%m %H:%M")

    def startex(self, team: Team, at: datetime) -> Inject:
        """The starting situation at the first segment's first hour."""
        t = self.s.clock.segments[0].from_h
        p = take_picture(self.state, self.codes(team), t, 0.0)
        body, hidden = self._body(team, p)
        unknown = [self.w["unknown_restore"]]
        if p.services["mobile"]:
            unknown.append(self.w["unknown_calls"].format(names=name_list(
                [self.run.name_of(c) for c in p.services["mobile"].items], self.lang)))
        unknown.append(self.w["unknown_care"])
        head = self.w["startex"].format(clock=self._clock(t), when=scenario_label(t),
                                        start=self.run.at(0).strftime("%d-%m-%Y %H:%M"),
                                        scope=self.scope(team))
        text = f"{head}\n{body}\n" + self.w["unknown"].format(items="; ".join(unknown))
        return self._inject(team, t, at, "startex", self.w["startex_subject"].format(
            label=self.singles.label(team)), text, self.w["start_action"], hidden,
            p.sources, self.w["control"])

    def jump(self, team: Team, segment: int, at: datetime) -> Inject:
        """The situation at the start of a segment after a time jump."""
        seg = self.s.clock.segments[segment]
        before = self.s.clock.segments[segment - 1].to_h
        p = take_picture(self.state, self.codes(team), seg.from_h, before)
        body, hidden = self._body(team, p)
        head = self.w["jump"].format(clock=self._clock(seg.from_h),
                                     when=scenario_label(seg.from_h),
                                     hours=f"{seg.from_h - before:.0f}",
                                     before=self._clock(before), scope=self.scope(team))
        return self._inject(team, seg.from_h, at, "situation", self.w["jump_subject"].format(
            label=self.scope(team, True), when=scenario_label(seg.from_h)), f"{head}\n{body}",
            self.w["start_action"], hidden, p.sources, self.w["control"])

    def picture(self, team: Team, t: float, since: float, at: datetime) -> Inject:
        """The periodic picture at scenario hour ``t`` (reports counted since ``since``)."""
        p = take_picture(self.state, self.codes(team), t, since)
        body, hidden = self._body(team, p)
        head = self.w["picture"].format(scope=self.scope(team), clock=self._clock(t),
                                        when=scenario_label(t))
        return self._inject(team, t, at, "picture", self.w["picture_subject"].format(
            label=self.scope(team, True), when=scenario_label(t)), f"{head}\n{body}",
            self.w["picture_action"], hidden, p.sources,
            self.w["control"] if TEAM_KINDS[team.kind] == "site" else self.w["lcms"])

    def endex(self, team: Team, at: datetime) -> Inject:
        """The end of play."""
        t = self.s.clock.segments[-1].to_h
        return self._inject(team, t, at, "endex", self.w["endex_subject"], self.w["endex"],
                            self.w["endex_action"], "", (), self.w["control"])
