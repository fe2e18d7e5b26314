"""The Master Scenario Events List: a run turned into timed injects a crisis team can play.

Steps (each in its own module):

1. the run's notable events (``sim.injects.sources``) and the outside parties'
   injects derived from them (``sim.injects.outside``) are kept when their kind
   and place are in play, and go to the teams of their route
   (``sim.injects.single``): single emergencies to the meldkamer, a point's news
   to bevolkingszorg, decisions at their level to the GBT, ROT and RBT;
2. events in a segment of play get a delivery time on the exercise clock;
   similar ones for a team close together become one inject with a list;
3. every team gets a STARTEX with its starting situation, the situation after
   each time jump and an ENDEX (``sim.injects.frames``);
4. the density rules cap, space and fill each team's hours
   (``sim.injects.density``), the fill being the team's periodic picture.

The same run and settings give the same list.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sim.errors import Problems
from sim.injects.clock import ExerciseClock, Segment, check_segments
from sim.injects.density import fill, limit, merge_similar, spread
from sim.injects.frames import Frames
from sim.injects.inject import KIND_ORDER, SITE_ROLES, TEAM_KINDS, Inject, Settings, Team
from sim.injects.outside import outside_candidates
from sim.injects.single import Singles
from sim.injects.sources import Candidate, RunData, candidates
from sim.injects.state import RunState
from sim.injects.texts import LANGUAGES


@dataclass(frozen=True)
class Names:
    """What the settings may name in a run: municipalities, their regions, sites, horizon."""

    #: Municipality code -> safety region.
    region_of: Mapping[str, str]
    #: Site id -> (municipality code, role: coordination_point, fire_station, support_point).
    sites: Mapping[str, tuple[str, str]]
    horizon_h: float | None = None

    def codes(self, team: Team) -> set[str]:
        """The municipalities a team is responsible for."""
        scope = TEAM_KINDS[team.kind]
        if scope == "region":
            return {c for c, r in self.region_of.items() if r == team.target}
        if scope == "municipality":
            return {team.target}
        if scope == "site":
            return {self.sites[team.target][0]}
        return set(self.region_of)


def known_names(run: RunData) -> Names:
    """What the settings may name in a finished run."""
    horizon = run.config.get("horizon_h")
    return Names(dict(run.municipality_region),
                 {s: (str(i["municipality"]), str(i["role"])) for s, i in run.sites.items()},
                 float(horizon) if horizon is not None else None)


def _check_team(p: Problems, text: str, team: Team, names: Names) -> bool:
    """Whether a team names something of the run (its problems added to ``p``)."""
    need = TEAM_KINDS[team.kind]
    if need == "region" and team.target not in set(names.region_of.values()):
        p.add("injects.teams", text, f"unknown safety region '{team.target}' in this run; "
              f"one of {sorted(set(names.region_of.values()))}")
    elif need == "municipality" and team.target not in names.region_of:
        p.add("injects.teams", text, f"unknown municipality '{team.target}' in this run "
              "(see blackout-sim-injects --list municipalities)")
    elif need == "site" and team.target not in names.sites:
        p.add("injects.teams", text, f"unknown site '{team.target}' in this run "
              "(see blackout-sim-injects --list sites)")
    elif need == "site" and names.sites[team.target][1] != SITE_ROLES[team.kind]:
        role = names.sites[team.target][1]
        right = next((k for k, r in SITE_ROLES.items() if r == role), None)
        hint = f": use {right}:{team.target}" if right else \
            " (a fire station that is not a coordination point)"
        p.add("injects.teams", text, f"'{team.target}' is a {role}, not a "
              f"{SITE_ROLES[team.kind]}{hint}")
    else:
        return True
    return False


def settings_from(cfg: Mapping[str, Any], known: Names | None = None) -> Settings:
    """Validate the ``injects`` config; raise ``InputError`` listing every problem.

    ``known``: what the teams and scope may name in the run, and its horizon; each
    team must be inside the scope (else it would get nothing) and play must end
    within the run.
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
        if known is not None and target and not _check_team(p, str(text), Team(kind, target),
                                                             known):
            continue
        teams.append(Team(kind, target))
    if not teams and not any(pr.field == f"{k}.teams" for pr in p.items):
        p.add(f"{k}.teams", cfg.get("teams"), "at least one team in play, e.g. [rot:VNOG]")
    segments = []
    for i, seg in enumerate(cfg.get("segments") or []):
        try:
            numbers = (float(seg["from_h"]), float(seg["to_h"]), float(seg.get("speed", 1.0)))
            if not all(math.isfinite(x) for x in numbers):
                raise ValueError("not finite")
            segments.append(Segment(*numbers))
        except (KeyError, TypeError, ValueError):
            p.add(f"{k}.segments[{i}]", seg, "a mapping with from_h, to_h and speed (numbers)")
    for problem in check_segments(segments) if segments or not p else []:
        p.add(f"{k}.segments", [s.__dict__ for s in segments], problem)
    horizon = known.horizon_h if known is not None else None
    if horizon is not None and segments and segments[-1].to_h > horizon:
        p.add(f"{k}.segments", [s.__dict__ for s in segments],
              f"play must end within the run: the last to_h ({segments[-1].to_h:g}) is after "
              f"its horizon ({horizon:g} h)")
    try:
        start = datetime.fromisoformat(str(cfg.get("start")))
    except ValueError:
        p.add(f"{k}.start", cfg.get("start"), "a date and time in ISO format, 2026-03-12T09:00")
        start = datetime(2000, 1, 1)
    if start.tzinfo is not None:
        p.add(f"{k}.start", cfg.get("start"), "a local date and time without a UTC offset, "
              "2026-03-12T09:00")
        start = start.replace(tzinfo=None)
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
    least = cfg.get("min_per_team_hour", 1)
    if isinstance(least, bool) or not isinstance(least, int) or least < 0:
        p.add(f"{k}.min_per_team_hour", least, "a whole number >= 0")
    elif isinstance(density, int) and not isinstance(density, bool) and least > density:
        p.add(f"{k}.min_per_team_hour", least,
              f"at most max_per_team_hour ({density})")
    minutes = {}
    for key, default, low, strict in (("break_min", 0, 0.0, False),
                                      ("contingency_after_min", 30, 0.0, True),
                                      ("max_silence_min", 45, 5.0, False),
                                      ("merge_min", 20, 0.0, False),
                                      ("spacing_min", 10, 0.0, True)):
        value = cfg.get(key, default)
        number = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
        if not number or value < low or (strict and value <= low):
            p.add(f"{k}.{key}", value,
                  f"a number of minutes {'>' if strict else '>='} {low:g}")
        minutes[key] = float(value) if number else float(default)
    if isinstance(density, int) and not isinstance(density, bool) and density >= 1 \
            and minutes["spacing_min"] * density > 60:
        p.add(f"{k}.spacing_min", minutes["spacing_min"],
              f"at most 60 / max_per_team_hour ({60 / density:g} minutes), so the hour's "
              "injects fit in it")
    after = minutes["contingency_after_min"]
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
        all_regions = sorted(set(known.region_of.values()))
        for r in regions:
            if r not in all_regions:
                p.add(f"{k}.regions", r, f"a safety region of the run: {all_regions}")
        for m in municipalities:
            if m not in known.region_of:
                p.add(f"{k}.municipalities", m, "a municipality code of the run (GM....)")
        scope = (set(municipalities) if municipalities
                 else {c for c, r in known.region_of.items() if r in regions} if regions
                 else set(known.region_of))
        for team in teams:
            if scope and not known.codes(team) & scope:
                p.add(f"{k}.teams", team.key,
                      f"outside the scope (regions {list(regions)}, municipalities "
                      f"{list(municipalities)}): it would get no injects; widen the scope or "
                      "leave the team out")
    p.raise_if_any()
    return Settings(teams=tuple(teams), clock=ExerciseClock(start, tuple(segments),
                                                            minutes["break_min"]),
                    regions=regions, municipalities=municipalities, kinds=kinds,
                    max_per_team_hour=int(density), min_per_team_hour=int(least),
                    max_silence_min=minutes["max_silence_min"], merge_min=minutes["merge_min"],
                    spacing_min=minutes["spacing_min"],
                    contingency=bool(cfg.get("contingency", True)),
                    contingency_after_min=after, language=language,
                    grip=tuple(sorted(grip)), title=str(cfg.get("title") or Settings.title))


def build_msel(run: RunData, settings: Settings) -> list[Inject]:
    """The MSEL of a run for the chosen teams, scope and exercise clock."""
    state = RunState(run)
    singles = Singles(run, settings)
    frames = Frames(run, settings, state, singles, known_names(run))
    clock = settings.clock
    events = sorted([*candidates(run), *outside_candidates(run, state)],
                    key=lambda c: (c.time, c.kind, c.municipality, c.site, c.sources))
    mains: list[Inject] = []
    cause: dict[int, tuple[Candidate, Team]] = {}
    for c in events:
        at = clock.deliver_at(c.time)
        if at is None or not singles.in_scope(c):
            continue
        for team in singles.teams_for(c):
            inj = singles.inject(c, team, at)
            cause[id(inj)] = (c, team)
            mains.append(inj)
    merged = []
    for inj, members in merge_similar(mains, settings):
        merged.append(inj)
        follow = singles.contingency(inj, [cause[id(m)] for m in members])
        if follow is not None:
            merged.append(follow)
    starts = clock.segment_starts()
    framing = []
    for team in settings.teams:
        framing.append(frames.startex(team, starts[0]))
        framing += [frames.jump(team, i, starts[i]) for i in range(1, len(starts))]
        framing.append(frames.endex(team, clock.end()))
    teams = {t.key: t for t in settings.teams}

    def picture(key: str, t: float, since: float, at: datetime, quiet_ok: bool
                ) -> Inject | None:
        team = teams[key]
        if quiet_ok and not state.activity(frames.codes(team), min(since, t - 1.0), t):
            return None
        return frames.picture(team, t, since, at)

    kept = limit(spread(limit([*framing, *merged], settings), settings), settings)
    kept = _without_orphans(fill(kept, settings, picture))
    kept.sort(key=lambda i: (i.deliver_at, i.track, i.kind not in ("startex",),
                             i.kind == "endex", i.scenario_h, i.contingency, i.sources))
    width = max(3, len(str(len(kept))))
    return [replace(inj, id=f"I{n:0{width}d}") for n, inj in enumerate(kept, start=1)]


def _without_orphans(injects: list[Inject]) -> list[Inject]:
    """Contingency injects whose main inject was dropped (or comes later) are dropped too."""
    mains = {(i.team, i.sources): i.deliver_at for i in injects if not i.contingency}
    return [i for i in injects if not i.contingency
            or mains.get((i.team, i.sources), i.deliver_at) < i.deliver_at]


def count_by(injects: Sequence[Inject], attr: str) -> dict[str, int]:
    """How many injects per value of an attribute (for reports)."""
    out: dict[str, int] = defaultdict(int)
    for inj in injects:
        out[str(getattr(inj, attr))] += 1
    return dict(out)
