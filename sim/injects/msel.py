"""The Master Scenario Events List: notable events of a run turned into timed injects.

Steps: the run's notable events (:func:`sim.injects.sources.candidates`) are
kept when their kind and place are in play; each goes to the team its
template names (or, when that team is not in play, to the team above it: a
local point's news to the municipality's bevolkingszorg, then its GBT; a
coordination point's and the meldkamer's to its region's ROT, except single
emergency reports); some news also goes to the municipality's GBT (``ALSO`` in
``sim.injects.texts``). Events in a segment of play get a delivery time on the
exercise clock; events skipped by a time jump are
summarised per team in a "situation at resumption" inject at the start of the
next segment. The method is the first that works at that moment in the run:
telephone, LCMS between crisis teams, C2000 between emergency services,
DARES radio where agreed, else a runner (or in person at the point). The
density limit keeps, per team and exercise hour, the situation injects first,
then injects by the order of kinds in ``KIND_ORDER``, then contingency injects.
The same run and settings give the same list.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sim.errors import Problems
from sim.injects.clock import ExerciseClock, Segment, check_segments, scenario_label
from sim.injects.sources import Candidate, RunData, candidates
from sim.injects.texts import (
    ALSO,
    EXERCISE,
    GROUPS,
    KIND_LABELS,
    LANGUAGES,
    NO_FALLBACK,
    TEMPLATES,
    WORDS,
)

#: Kinds of injects, most important first (the density limit keeps these first).
KIND_ORDER = ("points_status", "grid_out", "station_no_power", "mutual_aid", "public_order",
              "key_holder_late", "emergency_report", "vulnerable_reported", "cp_not_functional",
              "supplies_out", "generator_dry", "point_opened", "c2000_down", "mobile_down",
              "water_pressure_down", "generator_start_failed", "generator_failed", "fuel_low")
#: Teams that can be in play: kind and what names it (region, municipality, site, nothing).
TEAM_KINDS = {"meldkamer": "", "copi": "", "rot": "region", "rbt": "region",
              "gbt": "municipality", "bevolkingszorg": "municipality",
              "cp": "site", "nsp": "site"}
#: Where news goes when the team it is meant for is not in play.
FALLBACK = {"nsp": ("bevolkingszorg", "gbt"), "bevolkingszorg": ("gbt",), "cp": ("rot",),
            "meldkamer": ("rot",), "rbt": ("rot",)}
TEAM_LABEL = {"nl": {"meldkamer": "Meldkamer", "copi": "CoPI", "rot": "ROT", "rbt": "RBT",
                     "gbt": "GBT", "bevolkingszorg": "Bevolkingszorg", "cp": "Coördinatiepunt",
                     "nsp": "Noodsteunpunt"},
              "en": {"meldkamer": "Meldkamer (dispatch)", "copi": "CoPI", "rot": "ROT",
                     "rbt": "RBT", "gbt": "GBT", "bevolkingszorg": "Bevolkingszorg",
                     "cp": "Coordination point", "nsp": "Support point"}}
METHODS = {"nl": {"phone": "telefoon", "lcms": "LCMS", "c2000": "C2000", "dares": "DARES-radio",
                  "runner": "koerier", "in_person": "in persoon", "email": "e-mail"},
           "en": {"phone": "telephone", "lcms": "LCMS", "c2000": "C2000",
                  "dares": "DARES radio", "runner": "runner", "in_person": "in person",
                  "email": "e-mail"}}
#: Roles that carry C2000 radios.
_C2000_TEAMS = ("meldkamer", "rot", "rbt", "copi", "cp")


@dataclass(frozen=True)
class Team:
    """A team in play: its kind and what it is for (region, municipality or site id)."""

    kind: str
    target: str = ""

    @property
    def key(self) -> str:
        """``kind:target`` as in the settings."""
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True)
class Settings:
    """What the exercise designer chooses (``configs/injects``)."""

    teams: tuple[Team, ...]
    clock: ExerciseClock
    regions: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = KIND_ORDER
    max_per_team_hour: int = 6
    contingency: bool = True
    contingency_after_min: float = 30.0
    language: str = "nl"
    #: (scenario hour, GRIP level) in force from then on.
    grip: tuple[tuple[float, int], ...] = ((0.0, 1),)
    title: str = "Oefening langdurige stroomuitval"


@dataclass(frozen=True)
class Inject:
    """One inject of the MSEL."""

    id: str
    scenario_h: float
    scenario_time: str
    simulated_at: datetime
    deliver_at: datetime
    track: str
    sender: str
    sender_kind: str  # simulated | player
    to: str
    method: str
    subject: str
    message: str
    expected_action: str
    objective: str
    grip_level: int
    notes: str
    contingency: bool
    status: str
    sources: tuple[str, ...]
    kind: str = field(default="", compare=False)


def known_names_of(regions: Iterable[object], municipalities: Iterable[object],
                   sites: Iterable[object]) -> dict[str, set[str]]:
    """The names the teams and scope may use: safety regions, CBS codes, site ids."""
    return {"region": {str(r) for r in regions},
            "municipality": {str(m) for m in municipalities}, "site": {str(s) for s in sites}}


def known_names(run: RunData) -> dict[str, set[str]]:
    """Regions, municipalities and sites of a run, for checking the teams in play."""
    return known_names_of(run.municipality_region.values(), run.municipality_name, run.sites)


def settings_from(cfg: Mapping[str, Any],
                  known: Mapping[str, set[str]] | None = None) -> Settings:
    """Validate the ``injects`` config; raise ``InputError`` listing every problem.

    ``known``: the regions, municipalities and sites the teams and scope may name.
    """
    p = Problems()
    k = "injects"
    teams = []
    for text in cfg.get("teams") or []:
        kind, _, target = str(text).partition(":")
        if kind not in TEAM_KINDS:
            p.add(f"{k}.teams", text, f"team kind must be one of {sorted(TEAM_KINDS)}")
            continue
        need = TEAM_KINDS[kind]
        if need and not target:
            p.add(f"{k}.teams", text, f"{kind} needs its {need}: '{kind}:<{need}>'")
            continue
        if known is not None and target and target not in known[need]:
            p.add(f"{k}.teams", text, f"unknown {need} '{target}' in this run")
            continue
        teams.append(Team(kind, target))
    if not teams and not any(pr.field == f"{k}.teams" for pr in p.items):
        p.add(f"{k}.teams", cfg.get("teams"), "at least one team in play, e.g. [rot:VNOG]")
    segments = []
    for i, seg in enumerate(cfg.get("segments") or []):
        try:
            segments.append(Segment(float(seg["from_h"]), float(seg["to_h"]),
                                    float(seg.get("speed", 1.0))))
        except (KeyError, TypeError, ValueError):
            p.add(f"{k}.segments[{i}]", seg, "a mapping with from_h, to_h and speed (numbers)")
    for problem in check_segments(segments) if segments or not p else []:
        p.add(f"{k}.segments", [s.__dict__ for s in segments], problem)
    try:
        start = datetime.fromisoformat(str(cfg.get("start")))
    except ValueError:
        p.add(f"{k}.start", cfg.get("start"), "a date and time in ISO format, 2026-03-12T09:00")
        start = datetime(2000, 1, 1)
    kinds = tuple(cfg.get("kinds") or KIND_ORDER)
    for kind in kinds:
        if kind not in KIND_ORDER:
            p.add(f"{k}.kinds", kind, f"must be one of {list(KIND_ORDER)}")
    language = str(cfg.get("language", "nl"))
    if language not in LANGUAGES:
        p.add(f"{k}.language", language, f"must be one of {list(LANGUAGES)}")
    density = cfg.get("max_per_team_hour", 6)
    if isinstance(density, bool) or not isinstance(density, int) or density < 1:
        p.add(f"{k}.max_per_team_hour", density, "a whole number >= 1")
    after = cfg.get("contingency_after_min", 30)
    if isinstance(after, bool) or not isinstance(after, int | float) or after <= 0:
        p.add(f"{k}.contingency_after_min", after, "a number of minutes > 0")
    grip = []
    for i, item in enumerate(cfg.get("grip") or [{"at_h": 0, "level": 1}]):
        try:
            level = int(item["level"])
            at = float(item["at_h"])
        except (KeyError, TypeError, ValueError):
            p.add(f"{k}.grip[{i}]", item, "a mapping with at_h (hours) and level (1 to 5)")
            continue
        if not 1 <= level <= 5:
            p.add(f"{k}.grip[{i}].level", level, "a GRIP level from 1 to 5")
        grip.append((at, level))
    regions = tuple(str(r) for r in cfg.get("regions") or ())
    municipalities = tuple(str(m) for m in cfg.get("municipalities") or ())
    if known is not None:
        for r in regions:
            if r not in known["region"]:
                p.add(f"{k}.regions", r, f"a safety region of the run: {sorted(known['region'])}")
        for m in municipalities:
            if m not in known["municipality"]:
                p.add(f"{k}.municipalities", m, "a municipality code of the run (GM....)")
    p.raise_if_any()
    return Settings(teams=tuple(teams), clock=ExerciseClock(start, tuple(segments),
                                                            float(cfg.get("break_min", 0))),
                    regions=regions, municipalities=municipalities, kinds=kinds,
                    max_per_team_hour=int(density), contingency=bool(cfg.get("contingency",
                                                                             True)),
                    contingency_after_min=float(after), language=language,
                    grip=tuple(sorted(grip)), title=str(cfg.get("title") or Settings.title))


def grip_at(settings: Settings, t: float) -> int:
    """The GRIP level in force at scenario hour ``t``."""
    level = settings.grip[0][1] if settings.grip else 1
    for at, lv in settings.grip:
        if at <= t:
            level = lv
    return level


class _Builder:
    def __init__(self, run: RunData, s: Settings) -> None:
        self.run = run
        self.s = s
        self.lang = s.language
        self.templates = TEMPLATES[self.lang]
        self.words = WORDS[self.lang]
        self.in_play = {t.key for t in s.teams}
        comms = run.config.get("comms", {}) or {}
        self.dares = set(comms.get("dares_regions") or [])
        self.meldkamer_at = str(comms.get("meldkamer_municipality", ""))
        fuel = run.config.get("fuel", {}) or {}
        self.rot_at = {str(r): str(c) for r, c in (fuel.get("depot_municipalities") or {}).items()}

    # --- scope and routing ---------------------------------------------------------------

    def in_scope(self, c: Candidate) -> bool:
        if c.kind not in self.s.kinds:
            return False
        if self.s.municipalities:
            return c.municipality in self.s.municipalities
        if self.s.regions:
            return self.run.region_of(c.municipality) in self.s.regions
        return True

    def team_for(self, kind: str, c: Candidate, fallback: bool = True) -> Team | None:
        region = self.run.region_of(c.municipality)
        target = {"region": region, "municipality": c.municipality, "site": c.site,
                  "": ""}[TEAM_KINDS[kind]]
        team = Team(kind, target)
        if team.key in self.in_play:
            return team
        if not fallback:
            return None
        for up in FALLBACK.get(kind, ()):
            found = self.team_for(up, c)
            if found is not None:
                return found
        return None

    def teams_for(self, c: Candidate) -> list[Team]:
        if c.kind == "mutual_aid":
            asking = c.values["region"]
            return [t for t in self.s.teams if t.kind == "rot" and t.target != asking]
        out: list[Team] = []
        for kind in (self.templates[c.kind].to, *ALSO.get(c.kind, ())):
            team = self.team_for(kind, c, fallback=kind not in NO_FALLBACK.get(c.kind, ()))
            if team is not None and team not in out:
                out.append(team)
        return out

    def label(self, team: Team) -> str:
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
        if (c.kind == "vulnerable_reported" and team.kind == "nsp") or c.kind == "points_status":
            return "in_person"  # at the point itself; the ROT's own information manager
        both = [m for m in (here, there) if m]
        if all(up(m, "mobile", t) for m in both) or all(up(m, "fixed_network", t)
                                                        for m in both):
            if c.kind == "mutual_aid" and all(up(m, "fixed_network", t) for m in both):
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

    def fill(self, text: str, c: Candidate) -> str:
        values: dict[str, Any] = {
            "municipality": self.run.name_of(c.municipality),
            "site": self.run.site_name(c.site) if c.site else "",
            "region": c.values.get("region") or self.run.region_of(c.municipality),
            "clock": self.run.at(c.time).strftime("%d-%m %H:%M"),
            "when": scenario_label(c.time),
            "late": "", "reduced": "", "late_note": "", "restored": self.words["never"],
            "group_text": GROUPS[self.lang].get(str(c.values.get("group")), ""),
        }
        for key, value in c.values.items():
            if isinstance(value, float) and not math.isnan(value):
                values[key] = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
            elif value is not None:
                values[key] = value
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
        tpl = self.templates[c.kind]
        sender = self.fill(tpl.sender, c)
        player_sender = c.kind == "mutual_aid" and f"rot:{c.values['region']}" in self.in_play
        return Inject(
            id="", scenario_h=c.time, scenario_time=scenario_label(c.time),
            simulated_at=self.run.at(c.time), deliver_at=at, track=self.label(team),
            sender=sender, sender_kind="player" if player_sender else "simulated",
            to=self.label(team), method=METHODS[self.lang][self.method(c, team)],
            subject=self.fill(tpl.subject, c),
            message=f"{EXERCISE} - {self.fill(tpl.message, c)}",
            expected_action=tpl.action, objective=tpl.objective,
            grip_level=grip_at(self.s, c.time), notes=self.fill(tpl.notes, c),
            contingency=False, status="planned", sources=c.sources, kind=c.kind)

    def contingency(self, main: Inject, c: Candidate) -> Inject | None:
        tpl = self.templates[c.kind]
        if not (self.s.contingency and tpl.contingency):
            return None
        at = main.deliver_at + timedelta(minutes=self.s.contingency_after_min)
        i = self.s.clock.segment_of(main.scenario_h)
        assert i is not None
        seg_end = self.s.clock.segment_starts()[i] + timedelta(hours=self.s.clock.segments[i]
                                                               .play_h)
        if at > seg_end:
            return None
        seg = self.s.clock.segments[i]
        t = seg.from_h + (at - self.s.clock.segment_starts()[i]).total_seconds() / 3600 \
            * seg.speed
        return replace(main, scenario_h=t, scenario_time=scenario_label(t),
                       simulated_at=self.run.at(t), deliver_at=at, contingency=True,
                       message=self.words["contingency"] + self.fill(tpl.contingency, c),
                       notes=("Alleen sturen als de spelers niet hebben gehandeld."
                              if self.lang == "nl"
                              else "Send only if the players have not acted."),
                       grip_level=grip_at(self.s, t), kind=c.kind + ":contingency")

    def situation(self, segment: int, team: Team, events: list[Candidate]) -> Inject:
        clock = self.s.clock
        seg = clock.segments[segment]
        counts: dict[str, int] = defaultdict(int)
        for c in events:
            counts[KIND_LABELS[self.lang][c.kind]] += 1
        kinds = ", ".join(f"{n}x {name}" for name, n in sorted(counts.items(),
                                                                key=lambda kv: -kv[1]))
        tpl = self.templates["situation"]
        summary = self.words["summary"].format(n=len(events), kinds=kinds)
        sources = tuple(s for c in events for s in c.sources)
        when = self.run.at(seg.from_h).strftime("%d-%m %H:%M")
        return Inject(
            id="", scenario_h=seg.from_h, scenario_time=scenario_label(seg.from_h),
            simulated_at=self.run.at(seg.from_h), deliver_at=clock.segment_starts()[segment],
            track=self.label(team), sender=tpl.sender, sender_kind="simulated",
            to=self.label(team), method=METHODS[self.lang]["in_person"],
            subject=tpl.subject.format(when=scenario_label(seg.from_h)),
            message=f"{EXERCISE} - " + tpl.message.format(clock=when, summary=summary),
            expected_action=tpl.action, objective=tpl.objective,
            grip_level=grip_at(self.s, seg.from_h), notes="", contingency=False,
            status="planned", sources=sources, kind="situation")


def build_msel(run: RunData, settings: Settings) -> list[Inject]:
    """The MSEL of a run for the chosen teams, scope and exercise clock."""
    b = _Builder(run, settings)
    clock = settings.clock
    mains: list[tuple[Inject, Candidate]] = []
    skipped: dict[tuple[int, Team], list[Candidate]] = defaultdict(list)
    for c in candidates(run):
        if not b.in_scope(c):
            continue
        for team in b.teams_for(c):
            at = clock.deliver_at(c.time)
            if at is not None:
                mains.append((b.inject(c, team, at), c))
            else:
                segment = clock.resumption_of(c.time)
                if segment is not None:
                    skipped[(segment, team)].append(c)
    situations = [b.situation(seg, team, events) for (seg, team), events in skipped.items()]
    # The density limit, per team and exercise hour: situations, then by kind, then time.
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    used: dict[tuple[str, int], int] = defaultdict(int)

    def bucket(inject: Inject) -> tuple[str, int]:
        return inject.track, int((inject.deliver_at - clock.start).total_seconds() // 3600)

    def take(inject: Inject) -> bool:
        key = bucket(inject)
        if used[key] >= settings.max_per_team_hour:
            return False
        used[key] += 1
        return True

    kept = [s for s in sorted(situations, key=lambda i: (i.deliver_at, i.track)) if take(s)]
    ordered = sorted(mains, key=lambda m: (rank[m[1].kind], m[0].deliver_at, m[0].track,
                                           m[0].sources))
    kept_mains = [(inj, c) for inj, c in ordered if take(inj)]
    kept += [inj for inj, _ in kept_mains]
    for inj, c in sorted(kept_mains, key=lambda m: (m[0].deliver_at, m[0].track)):
        extra = b.contingency(inj, c)
        if extra is not None and take(extra):
            kept.append(extra)
    kept.sort(key=lambda i: (i.deliver_at, i.scenario_h, i.track, i.contingency, i.sources))
    width = max(3, len(str(len(kept))))
    return [replace(inj, id=f"I{n:0{width}d}") for n, inj in enumerate(kept, start=1)]


def count_by(injects: Sequence[Inject], attr: str) -> dict[str, int]:
    """How many injects per value of an attribute (for reports)."""
    out: dict[str, int] = defaultdict(int)
    for inj in injects:
        out[str(getattr(inj, attr))] += 1
    return dict(out)
