"""Injects from the run's notable events: who receives them, how, and in what words.

A notable event (:class:`sim.injects.sources.Candidate`) goes to each team of
its route (``sim.injects.texts.ROUTES``) that is in play; a support point's
news goes to the municipality's bevolkingszorg when the point is not in play.
An emergency report reaches the meldkamer through the municipality's
coordination point when that point plays (it passes the report on). No event
goes to the team that sends it, and a single event never goes to a policy team
in its place: the GBT, ROT and RBT hear of it in their pictures.
The text is the kind's variant for the receiving team where there is one
(``kind@team`` in ``sim.injects.texts_levels``), else the kind's base text.
The method is the first that works at that moment in the run: telephone, LCMS
between crisis teams, C2000 between emergency services, DARES radio where
agreed, else a runner (or in person at the point). Similar events for one team
close together become one inject with a list (:func:`merge`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sim.injects.clock import scenario_label, to_minute
from sim.injects.inject import (
    FALLBACK,
    KIND_ORDER,
    METHODS,
    REGION_KINDS,
    SITE_ROLES,
    TEAM_KINDS,
    TEAM_LABEL,
    Inject,
    Settings,
    Team,
    grip_at,
)
from sim.injects.picture import name_list
from sim.injects.sources import Candidate, RunData
from sim.injects.texts import EXERCISE, GROUPS, KIND_LABELS, ROUTES, TEMPLATES, WORDS, Template
from sim.injects.texts_levels import (
    EN_OUTSIDE,
    EN_VARIANTS,
    NL_OUTSIDE,
    NL_VARIANTS,
    WINDOWS,
)

KIND_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}
#: Roles that carry C2000 radios.
_C2000_TEAMS = ("meldkamer", "rot", "rbt", "copi", "cp")
#: Kinds whose sender is the site of the event itself (never sent to that site's team).
SENT_BY_SITE = ("key_holder_late", "supplies_out", "public_order", "emergency_report",
                "point_opened", "station_no_power", "cp_not_functional")
_ALL = {"nl": {**TEMPLATES["nl"], **NL_OUTSIDE, **NL_VARIANTS},
        "en": {**TEMPLATES["en"], **EN_OUTSIDE, **EN_VARIANTS}}


class Singles:
    """Routing, method and texts of the injects drawn from single events."""

    def __init__(self, run: RunData, s: Settings) -> None:
        self.run = run
        self.s = s
        self.lang = s.language
        self.templates = _ALL[self.lang]
        self.words = WORDS[self.lang]
        self.in_play = {t.key for t in s.teams}
        comms = run.config.get("comms", {}) or {}
        self.dares = set(comms.get("dares_regions") or [])
        self.meldkamer_at = str(comms.get("meldkamer_municipality", ""))
        fuel = run.config.get("fuel", {}) or {}
        self.rot_at = {str(r): str(c) for r, c in (fuel.get("depot_municipalities") or {}).items()}

    # --- scope and routing ---------------------------------------------------------------

    def in_scope(self, c: Candidate) -> bool:
        """Whether an event's kind and place are in play."""
        if c.kind not in self.s.kinds:
            return False
        places = c.values.get("codes") or [c.municipality]
        if self.s.municipalities:
            return any(m in self.s.municipalities for m in places)
        if self.s.regions:
            return self.run.region_of(c.municipality) in self.s.regions
        return True

    def in_scope_place(self, code: str) -> bool:
        """Whether a municipality is in the exercise's scope."""
        if self.s.municipalities:
            return code in self.s.municipalities
        if self.s.regions:
            return self.run.region_of(code) in self.s.regions
        return True

    def _team(self, kind: str, c: Candidate, municipality: str) -> Team | None:
        target = {"region": c.values.get("region") or self.run.region_of(municipality),
                  "municipality": municipality, "site": c.site, "": ""}[TEAM_KINDS[kind]]
        if TEAM_KINDS[kind] == "site" and (not target or self.run.sites.get(
                str(target), {}).get("role") != SITE_ROLES[kind]):
            return None  # a cp: is a coordination point, an nsp: a support point
        team = Team(kind, str(target))
        if team.key in self.in_play:
            return team
        for up in FALLBACK.get(kind, ()):
            found = self._team(up, c, municipality)
            if found is not None:
                return found
        return None

    def teams_for(self, c: Candidate) -> list[Team]:
        """The teams in play that receive this event (none is its own sender)."""
        if c.kind == "mutual_aid":
            asking = c.values["region"]
            return [t for t in self.s.teams if t.kind == "rot" and t.target != asking]
        out: list[Team] = []
        places = c.values.get("codes") or [c.municipality]
        if c.kind == "emergency_report":  # via the coordination point, when it plays
            cps = [t for t in self.s.teams if t.kind == "cp" and self.run.sites.get(
                t.target, {}).get("municipality") == c.municipality]
            if cps:
                return cps[:1]
        for kind in ROUTES[c.kind]:
            for m in places if TEAM_KINDS[kind] == "municipality" else places[:1]:
                team = self._team(kind, c, m)
                if team is None or team in out:
                    continue
                if c.kind in SENT_BY_SITE and team.target == c.site:
                    continue  # a point does not report to itself
                if c.kind == "mayor_call" and f"gbt:{c.municipality}" in self.in_play:
                    continue  # the mayor is a player in that GBT
                out.append(team)
        return out

    def label(self, team: Team) -> str:
        """The team's name on the MSEL: kind and what it is for, by name."""
        base = TEAM_LABEL[self.lang][team.kind]
        if not team.target:
            return base
        if TEAM_KINDS[team.kind] == "municipality":
            return f"{base} {self.run.name_of(team.target)}"
        if TEAM_KINDS[team.kind] == "site":
            return f"{base} {self.run.site_name(team.target)}"
        return f"{base} {team.target}"

    def place_of(self, team: Team) -> str:
        """The municipality a team works in (for the state of its communications)."""
        if TEAM_KINDS[team.kind] == "municipality":
            return team.target
        if TEAM_KINDS[team.kind] == "site":
            return str(self.run.sites.get(team.target, {}).get("municipality", ""))
        if TEAM_KINDS[team.kind] == "region":
            return self.rot_at.get(team.target, "")
        return self.meldkamer_at

    def method(self, c: Candidate, team: Team) -> str:
        """The first way the message can travel at that moment in the run."""
        up = self.run.service_up
        here, there, t = c.municipality, self.place_of(team), c.time
        if c.kind == "vulnerable_reported" and team.kind == "nsp":
            return "in_person"  # the neighbour comes to the point
        both = [m for m in (here, there) if m]
        if all(up(m, "mobile", t) for m in both) or all(up(m, "fixed_network", t)
                                                        for m in both):
            crisis_teams = c.kind in ("mutual_aid", "points_status") and team.kind in (
                "rot", "rbt")
            if crisis_teams and all(up(m, "fixed_network", t) for m in both):
                return "lcms"
            return "phone"
        sender_has_radio = c.kind in ("station_no_power", "cp_not_functional", "mutual_aid") \
            or (c.site in self.run.sites
                and self.run.sites[c.site]["role"] != "support_point")
        if sender_has_radio and team.kind in _C2000_TEAMS and all(up(m, "c2000", t)
                                                                   for m in both):
            return "c2000"
        if self.run.region_of(here) in self.dares:
            return "dares"
        return "runner"

    # --- texts ---------------------------------------------------------------------------

    def template(self, c: Candidate, team: Team) -> Template:
        """The text for this event and receiving team (its level's variant if any)."""
        return self.templates.get(f"{c.kind}@{team.kind}") or self.templates[c.kind]

    def clock(self, t: float) -> str:
        """Simulated date and time of scenario hour ``t`` as texts show it."""
        return self.run.at(t).strftime("%d-%m %H:%M")

    def fill(self, text: str, c: Candidate) -> str:
        """A template text filled with the event's names, times and numbers."""
        values: dict[str, Any] = {
            "municipality": self.run.name_of(c.municipality),
            "site": self.run.site_name(c.site) if c.site else "",
            "region": c.values.get("region") or self.run.region_of(c.municipality),
            "clock": self.clock(c.time), "when": scenario_label(c.time),
            "late": "", "reduced": "", "late_note": "", "restored": self.words["never"],
            "group_text": GROUPS[self.lang].get(str(c.values.get("group")), ""),
        }
        for key, value in c.values.items():
            if isinstance(value, float) and not math.isnan(value):
                values[key] = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
            elif value is not None:
                values[key] = value
        if "codes" in c.values:
            values["names"] = name_list([self.run.name_of(m) for m in c.values["codes"]],
                                        self.lang)
        if "per" in c.values:
            values["top"] = name_list([f"{self.run.name_of(m)} ({n})"
                                       for m, n in list(c.values["per"].items())[:3]], self.lang)
        if c.kind == "grid_forecast":
            window = WINDOWS[self.lang][1 if c.values["sharp"] else 0]
            values["window"] = window.format(from_clock=self.clock(c.values["from_h"]),
                                             to_clock=self.clock(c.values["to_h"]))
            values["restored_clock"] = self.clock(c.values["restored_at"])
        if c.kind == "locc_answer":
            one, many = self.words["aid_units"][c.values["resource"]]
            values["what"] = one if int(c.values["units"]) == 1 else many
            values["from_text"] = name_list([self.words["aid_from"][f] for f in c.values["from"]],
                                            self.lang)
            values["arrive_clock"] = (self.clock(c.values["arrive_h"])
                                      if c.values["arrive_h"] is not None else "?")
        if "clients" in c.values:
            n = int(c.values["clients"])
            values["clients_text"] = self.words["clients"][min(n, 2)].format(n=n)
        if c.kind == "emergency_report":
            n = int(c.values.get("reports", 1))
            values["reports_text"] = self.words["reports"][min(n, 2)].format(n=n)
            values["reports_text_lower"] = values["reports_text"].lower()
        if c.kind == "point_opened":
            after = c.values.get("hours_after_activation")
            if after is not None and after > 12:
                values["late"] = self.words["late"].format(hours=f"{after:.0f}")
                values["late_note"] = self.words["late_note"]
            if c.values.get("reduced"):
                values["reduced"] = self.words["reduced"]
        if c.kind == "grid_out" and c.values.get("restored_h") is not None:
            values["restored"] = scenario_label(float(c.values["restored_h"]))
        return text.format(**values)

    def inject(self, c: Candidate, team: Team, at: datetime) -> Inject:
        """The inject for one event and receiving team, delivered at ``at``."""
        tpl = self.template(c, team)
        sender = self.fill(tpl.sender, c)
        player_sender = c.kind == "mutual_aid" and f"rot:{c.values['region']}" in self.in_play
        t = to_minute(c.time)
        return Inject(
            id="", scenario_h=t, scenario_time=scenario_label(t), simulated_at=self.run.at(t),
            deliver_at=at, track=self.label(team), sender=sender,
            sender_kind="player" if player_sender else "simulated", to=self.label(team),
            method=METHODS[self.lang][self.method(c, team)], subject=self.fill(tpl.subject, c),
            message=f"{EXERCISE} - {self.fill(tpl.message, c)}", expected_action=tpl.action,
            objective=tpl.objective, grip_level=grip_at(self.s, t),
            notes=self.fill(tpl.notes, c), contingency=False, status="planned",
            sources=c.sources, kind=c.kind, team=team.key, place=self.place(c),
            town=self.run.name_of(c.municipality),
            count=int(c.values.get("reports", 1)) if c.kind == "emergency_report" else 1)

    def place(self, c: Candidate) -> str:
        """What the event is about, by name: its site, its municipalities or its region."""
        if c.site:
            return self.run.site_name(c.site)
        if "codes" in c.values:
            return name_list([self.run.name_of(m) for m in c.values["codes"]], self.lang, 3)
        if c.kind in REGION_KINDS:
            return str(c.values["region"])
        return self.run.name_of(c.municipality)

    def contingency(self, main: Inject, causes: Sequence[tuple[Candidate, Team]]
                    ) -> Inject | None:
        """The follow-up to send if players do not act on ``main`` (its events' causes)."""
        lines = [self.fill(tpl.contingency, c) for c, team in causes
                 if (tpl := self.template(c, team)).contingency]
        if not (self.s.contingency and lines):
            return None
        at = main.deliver_at + timedelta(minutes=self.s.contingency_after_min)
        i = self.s.clock.segment_of(main.scenario_h)
        if i is None or at > self.s.clock.segment_end(i):
            return None
        seg = self.s.clock.segments[i]
        start = self.s.clock.segment_starts()[i]
        t = to_minute(seg.from_h + (at - start).total_seconds() / 3600 * seg.speed)
        return replace(main, scenario_h=t, scenario_time=scenario_label(t),
                       simulated_at=self.run.at(t), deliver_at=at, contingency=True,
                       message=self.words["contingency"] + " ".join(dict.fromkeys(lines)),
                       notes=self.words["contingency_note"], grip_level=grip_at(self.s, t),
                       kind=main.kind + ":contingency")


#: Merged lists longer than this are told per municipality, the first LIST_TOWNS by name.
LIST_LINES = 8
LIST_TOWNS = 10


def merge(group: Sequence[Inject], lang: str) -> Inject:
    """Similar injects for one team as one: the last one's time, a list of what happened.

    Up to ``LIST_LINES`` messages are listed in full; a longer list is told per
    municipality (how many, and at which places).
    """
    if len(group) == 1:
        return group[0]
    last = group[-1]
    labels = list(dict.fromkeys(KIND_LABELS[lang].get(i.kind, i.kind) for i in group))
    label = name_list(labels, lang)
    if len(group) <= LIST_LINES:
        items = "\n".join(f"- {i.message.removeprefix(EXERCISE + ' - ')}" for i in group)
    else:
        towns: dict[str, list[Inject]] = {}
        for i in group:
            towns.setdefault(i.town, []).append(i)
        ranked = sorted(towns.items(), key=lambda kv: -sum(i.count for i in kv[1]))
        lines = []
        for town, members in ranked[:LIST_TOWNS]:
            places = list(dict.fromkeys(i.place for i in members))
            lines.append(f"- {town}: {sum(i.count for i in members)}x"
                         + ("" if places == [town] else f" ({name_list(places, lang, 3)})"))
        rest = ranked[LIST_TOWNS:]
        if rest:
            lines.append("- " + WORDS[lang]["more_towns"].format(
                n=len(rest), k=sum(i.count for _, members in rest for i in members),
                names=name_list([t for t, _ in rest], lang, 8)))
        items = "\n".join(lines)
    total = sum(i.count for i in group)
    intro = WORDS[lang]["merged"].format(n=len(group), label=label) if total == len(group) \
        else WORDS[lang]["merged_count"].format(n=total, label=label, k=len(group))
    notes = "\n".join(dict.fromkeys(i.notes for i in group if i.notes))
    senders = list(dict.fromkeys(i.sender for i in group))
    places = list(dict.fromkeys(i.place for i in group))
    subject = (f"{total}x {label}: {name_list(places, lang, 4)}" if len(labels) == 1
               else f"{name_list(places, lang, 4)}: {label}")
    best = min(group, key=lambda i: KIND_RANK.get(i.kind, 99))
    return replace(last, subject=subject, kind=best.kind, count=total,
                   sender=senders[0] if len(senders) == 1 else name_list(senders, lang, 3),
                   message=f"{EXERCISE} - {intro}\n{items}", notes=notes,
                   expected_action=" ".join(dict.fromkeys(i.expected_action for i in group)),
                   sources=tuple(s for i in group for s in i.sources))
