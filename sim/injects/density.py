"""Density that fits play: merged lists, a cap per hour, spacing, and no long silences.

Per team, in this order:

1. similar events (same kind) within ``merge_min`` minutes of play, and events
   about the same site at the same moment, become one inject with a list
   (:func:`sim.injects.single.merge`);
2. at most ``max_per_team_hour`` injects per exercise hour: the frame injects
   (STARTEX, situation, ENDEX) always, then by the order of kinds in
   ``KIND_ORDER``, then contingency injects;
3. at least ``spacing_min`` minutes between two injects (a later one moves on,
   within its segment), so an hour's injects are spread over it instead of
   arriving in a burst on the hour; the cap is applied again after moving;
4. no silence longer than ``max_silence_min`` while the run has events for the
   team, and at least ``min_per_team_hour`` injects in each whole hour of play:
   the gaps are filled with the team's periodic picture (not for a point or a
   coordination point, which hear only what concerns them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise

from sim.injects.inject import FRAME_KINDS, KIND_ORDER, REGION_KINDS, SITE_ROLES, Inject, Settings
from sim.injects.single import merge

#: Makes a team's periodic picture: (team, hour, since, at, quiet_ok) -> inject or None.
Picture = Callable[[str, float, float, datetime, bool], Inject | None]
_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}


def rank(inj: Inject) -> tuple[int, int]:
    """Keep first: frames, then by kind, then contingencies, then pictures."""
    if inj.kind in FRAME_KINDS:
        return (0, 0)
    if inj.contingency:
        return (2, _RANK.get(inj.kind.split(":")[0], 99))
    if inj.kind == "picture":
        return (3, 0)
    return (1, _RANK.get(inj.kind, 99))


def by_team(injects: Sequence[Inject]) -> dict[str, list[Inject]]:
    """Each team's injects in delivery order (the most important first at one time)."""
    out: dict[str, list[Inject]] = defaultdict(list)
    for inj in injects:
        out[inj.team].append(inj)
    for items in out.values():
        items.sort(key=lambda i: (i.deliver_at, rank(i), i.scenario_h, i.sources))
    return dict(out)


def merge_similar(injects: Sequence[Inject], s: Settings) -> list[tuple[Inject, list[Inject]]]:
    """Same-kind injects for a team within ``merge_min`` of the first become one.

    Returns each inject with the injects it was made of.
    """
    out: list[tuple[Inject, list[Inject]]] = []
    window = timedelta(minutes=s.merge_min)
    for items in by_team(injects).values():
        groups: list[list[Inject]] = []
        open_: dict[str, list[Inject]] = {}
        same_moment: dict[tuple[str, float], list[Inject]] = {}
        for inj in items:
            # a site, not a whole municipality or region
            at_site = inj.place != inj.town and inj.kind not in REGION_KINDS
            group = (same_moment.get((inj.place, inj.scenario_h)) if at_site else None) \
                or open_.get(inj.kind)
            if group is not None and inj.deliver_at - group[0].deliver_at <= window \
                    and s.clock.segment_of(group[0].scenario_h) \
                    == s.clock.segment_of(inj.scenario_h):
                group.append(inj)
                continue
            group = [inj]
            open_[inj.kind] = group
            same_moment[(inj.place, inj.scenario_h)] = group
            groups.append(group)
        out.extend((merge(g, s.language), g) for g in groups)
    return out


def limit(injects: Sequence[Inject], s: Settings) -> list[Inject]:
    """At most ``max_per_team_hour`` per team and exercise hour, the most important first."""
    used: dict[tuple[str, int], int] = defaultdict(int)
    kept = []
    for inj in sorted(injects, key=lambda i: (rank(i), i.deliver_at, i.team, i.sources)):
        key = (inj.team, hour_of(inj.deliver_at, s))
        if used[key] >= s.max_per_team_hour and inj.kind not in FRAME_KINDS:
            continue
        used[key] += 1
        kept.append(inj)
    return kept


def hour_of(at: datetime, s: Settings) -> int:
    """The exercise hour (0, 1, ...) that ``at`` falls in."""
    return int((at - s.clock.start).total_seconds() // 3600)


def spread(injects: Sequence[Inject], s: Settings) -> list[Inject]:
    """Move injects later so that a team's are ``spacing_min`` apart, within the segment."""
    gap = timedelta(minutes=s.spacing_min)
    out: list[Inject] = []
    for items in by_team(injects).values():
        out.extend(i for i in items if i.kind in FRAME_KINDS)
        for segment in range(len(s.clock.segments)):
            end = s.clock.segment_end(segment)
            placed = [i.deliver_at for i in items if i.kind in FRAME_KINDS
                      and s.clock.segment_of(i.scenario_h) == segment]
            last = segment == len(s.clock.segments) - 1
            for inj in items:
                if inj.kind in FRAME_KINDS or s.clock.segment_of(inj.scenario_h) != segment:
                    continue
                at = inj.deliver_at
                while any(abs(at - p) < gap for p in placed):
                    at = max(p for p in placed if abs(at - p) < gap) + gap
                if at > end or (last and at >= end):
                    continue  # no room left in its segment (at ENDEX nobody can act on it)
                placed.append(at)
                out.append(replace(inj, deliver_at=at) if at != inj.deliver_at else inj)
    return out


def fill(injects: Sequence[Inject], s: Settings, picture: Picture) -> list[Inject]:
    """Periodic pictures where a team would be silent too long or short of its minimum.

    ``picture(team, t, since, at, quiet_ok)`` makes the picture for a team at scenario
    hour ``t`` delivered at ``at``, with reports counted since ``since``; for a silence,
    ``quiet_ok`` is True and it returns None when the run has no events for the team in
    that time (silence is then right). The minimum per hour is always met. A point or
    coordination point (``nsp:``, ``cp:``) hears only what concerns it: no fill.
    """
    out = list(injects)
    silence = timedelta(minutes=s.max_silence_min)
    gap = timedelta(minutes=s.spacing_min)
    clock = s.clock
    for team in by_team(injects):
        if team.split(":")[0] in SITE_ROLES:
            continue
        for seg_i, seg in enumerate(clock.segments):
            start, end = clock.segment_starts()[seg_i], clock.segment_end(seg_i)
            marks: list[datetime] = []  # slots where a picture was not due (quiet or full)
            since = seg.from_h
            while True:
                times = sorted({start, end, *marks, *(i.deliver_at for i in out if i.team == team
                                                      and start <= i.deliver_at <= end)})
                pair = next(((x, y) for x, y in pairwise(times) if y - x > silence), None)
                if pair is None:
                    break
                x, y = pair
                at = x + silence
                if y - at < gap:
                    at = max(x + gap, y - gap)
                full = sum(1 for i in out if i.team == team
                           and hour_of(i.deliver_at, s) == hour_of(at, s))
                made = None if full >= s.max_per_team_hour else _picture_at(
                    picture, team, at, since, s, True)
                if made is None:
                    marks.append(at)
                    continue
                out.append(made)
                since = made.scenario_h
            out.extend(_top_up(out, team, seg_i, s, picture))
    return out


def _picture_at(picture: Picture, team: str,
                at: datetime, since: float, s: Settings, quiet_ok: bool) -> Inject | None:
    t = s.clock.scenario_hour(at)
    return None if t is None else picture(team, t, since, at, quiet_ok)


def _top_up(injects: Sequence[Inject], team: str, seg_i: int, s: Settings,
            picture: Picture) -> list[Inject]:
    """Pictures for whole hours of a segment that hold fewer than the minimum."""
    clock = s.clock
    start, end = clock.segment_starts()[seg_i], clock.segment_end(seg_i)
    extra: list[Inject] = []
    gap = timedelta(minutes=s.spacing_min)
    for hour in range(hour_of(start, s), hour_of(end, s) + 1):
        h0 = clock.start + timedelta(hours=hour)
        if h0 < start or h0 + timedelta(hours=1) > end:
            continue  # only whole hours of play
        busy = sorted(i.deliver_at for i in [*injects, *extra]
                      if i.team == team and h0 <= i.deliver_at < h0 + timedelta(hours=1))
        need = s.min_per_team_hour - len(busy)
        step = timedelta(hours=1) / (need + 1) if need > 0 else timedelta(0)
        for k in range(1, need + 1):
            at = h0 + step * k
            before = [i.deliver_at for i in [*injects, *extra]
                      if i.team == team and i.deliver_at < at]
            if before and at - max(before) > timedelta(minutes=s.max_silence_min):
                at = max(h0, max(before) + timedelta(minutes=s.max_silence_min))
            while any(abs(at - b) < gap for b in busy) and at + gap < h0 + timedelta(hours=1):
                at += gap
            made = _picture_at(picture, team, at, s.clock.segments[seg_i].from_h, s, False)
            if made is not None:
                extra.append(made)
                busy.append(at)
    return extra
