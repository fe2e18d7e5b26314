"""An MSEL a Dutch crisis team can play: start and end, the right level, outside parties,
density and texts, as an exercise designer would use it (issue 17).

The exercise: four hours for ROT IJsselland and the GBT of Zwolle from the default
run, T+2 h to T+4 h in real time, then T+24 h to T+32 h at four times real speed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import pandas as pd
import pytest
import yaml

from sim.errors import InputError
from sim.injects.generate import DEFAULTS
from sim.injects.inject import POLICY_TEAMS, Inject
from sim.injects.msel import build_msel, known_names, settings_from
from sim.injects.sources import RunData, load_run
from sim.injects.state import RunState
from sim.results.folder import read_table

TEAMS = ["rot:IJsselland", "gbt:GM0193"]
#: Outside parties' kinds and the record kinds their sources must be.
OUTSIDE = {"grid_forecast": {"grid"}, "grid_restored": {"grid"},
           "mayor_call": {"point_activated", "point_state"},
           "media_no_point": {"point_activated"}}


def exercise(run: RunData, **changes: object):
    cfg = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    cfg.update({"teams": TEAMS, "regions": ["IJsselland"], **changes})
    return settings_from(cfg, known_names(run))


@pytest.fixture(scope="module")
def run(default_run) -> RunData:
    return load_run(default_run)


@pytest.fixture(scope="module")
def played(run) -> tuple[list[Inject], object]:
    s = exercise(run)
    return build_msel(run, s), s


@pytest.fixture(scope="module")
def english(run) -> list[Inject]:
    return build_msel(run, exercise(run, language="en"))


def names_in(run: RunData) -> set[str]:
    return {*run.municipality_name.values(), *run.municipality_region.values(),
            *(s["name"] for s in run.sites.values())}


@pytest.mark.slow
def test_every_team_starts_with_a_startex_and_ends_with_an_endex(run, played):
    injects, s = played
    tracks = {"ROT IJsselland", "GBT Zwolle"}
    assert {i.track for i in injects} == tracks
    for track in tracks:
        mine = [i for i in injects if i.track == track]
        first, last = mine[0], mine[-1]
        assert first.kind == "startex" and first.deliver_at == s.clock.start
        assert first.subject.startswith("STARTEX") and "startbeeld" in first.subject
        assert last.kind == "endex" and last.deliver_at == s.clock.end()
        assert "ENDEX" in last.message
        # The starting situation: since when, what is out, and what the team does not know.
        assert "Sinds 15-01-2026 17:00" in first.message
        assert "Wat u nog niet weet" in first.message
        assert track.split()[1] in first.message  # Zwolle, IJsselland
    rot = next(i for i in injects if i.track == "ROT IJsselland" and i.kind == "startex")
    # The four IJsselland stations without backup power, by name.
    assert re.search(r"4 coördinatiepunten \(kazernes\) zonder stroom en zonder werkend "
                     r"noodaggregaat: Brandweerpost \w+", rot.message), rot.message


@pytest.mark.slow
def test_after_the_time_jump_each_team_gets_the_situation_with_places_and_numbers(run, played):
    injects, s = played
    start = s.clock.segment_starts()[1]
    jumps = [i for i in injects if i.kind == "situation"]
    assert {i.track for i in jumps} == {"ROT IJsselland", "GBT Zwolle"}
    for inj in jumps:
        assert inj.deliver_at == start and inj.scenario_time == "T+24:00"
        assert "20 uur na het einde van de vorige speelronde" in inj.message
        assert re.search(r"Noodsteunpunten: \d+ gepland, \d+ geactiveerd, \d+ open",
                         inj.message)
        assert "Zwolle" in inj.message  # Zwolle is in both teams' area
        assert "gebeurtenis(sen)" not in inj.message


@pytest.mark.slow
def test_policy_teams_never_get_single_emergencies_and_nobody_sends_to_itself(run, played):
    injects, _ = played
    for inj in injects:
        assert inj.sender != inj.to and inj.to.lower() not in inj.sender.lower(), inj
        if inj.team.split(":")[0] in POLICY_TEAMS:
            assert inj.kind != "emergency_report", inj
            assert not inj.subject.startswith("Noodmelding"), inj
    # The ROT still hears of the emergency reports: counted, by place, with a trend,
    # in its pictures (the first version left it silent for the last two hours).
    late = [i for i in injects if i.track == "ROT IJsselland" and i.scenario_h >= 28
            and "Noodmeldingen via noodsteunpunten en kazernes:" in i.message]
    assert late and all(re.search(r"de meeste in \w+ \(\d+\)", i.message) for i in late)


@pytest.mark.slow
def test_each_team_decides_at_its_own_level(run, played):
    injects, _ = played
    rot = " ".join(i.expected_action + i.message for i in injects if i.track.startswith("ROT"))
    gbt = " ".join(i.expected_action + i.message for i in injects if i.track.startswith("GBT"))
    assert "brandstof" in rot.lower() and "aggregat" in rot.lower()
    assert "bijstand" in rot and "LOCC" in rot
    assert "noodsteunpunten voorrang krijgen" in gbt and "kwetsbare inwoners" in gbt
    assert "informeert" in gbt or "informeren" in gbt


@pytest.mark.slow
def test_outside_parties_are_traced_to_the_run(run, default_run):
    s = exercise(run, segments=[{"from_h": 20, "to_h": 100, "speed": 20}],
                 max_per_team_hour=6)
    injects = build_msel(run, s)
    events = read_table(default_run, "events")
    cases = run.cases.set_index("case")
    seen = set()
    for inj in injects:
        kind = inj.kind
        if kind in OUTSIDE:
            seen.add(kind)
            kinds = {events.loc[int(x[1:]), "kind"] for x in inj.sources}
            assert kinds <= OUTSIDE[kind], (inj.subject, kinds)
        if kind.startswith("care_clients"):
            seen.add("care")
            t = inj.scenario_h
            found = cases.loc[list(inj.sources)]
            # Each client named was in danger and not yet reached at that hour.
            assert (found["reached_at"].astype(float) > t - 1 / 60).all()
            assert (found["clock_start"].astype(float) <= t + 1 / 60).all()
            found_n = re.search(r"(\d+|één) cliënt", inj.message).group(1)
            n = 1 if found_n == "één" else int(found_n)
            assert n == len(found) or "berichten" in inj.message
    assert {"grid_forecast", "grid_restored", "mayor_call", "care"} <= seen, seen
    forecasts = [i for i in injects if i.kind == "grid_forecast" and i.track.startswith("ROT")]
    # The forecast changes: first a wide window, then a sharper one.
    assert any("tussen" in i.message for i in forecasts)
    assert any(" rond " in i.message for i in forecasts)


@pytest.mark.slow
def test_density_fits_play(run, played):
    injects, s = played
    state = RunState(run)
    clock = s.clock
    for track in {i.track for i in injects}:
        mine = sorted(i.deliver_at for i in injects if i.track == track)
        team = next(i.team for i in injects if i.track == track)
        codes = ([c for c, r in run.municipality_region.items() if r == team.split(":")[1]]
                 if team.startswith("rot") else [team.split(":")[1]])
        hours = [(t - clock.start) // timedelta(hours=1) for t in mine]
        per_hour = pd.Series(hours).value_counts()
        assert per_hour.max() <= s.max_per_team_hour
        # Each whole hour of play holds at least the minimum.
        for h in range(4):
            assert per_hour.get(h, 0) >= s.min_per_team_hour, (track, h)
        # No silence longer than the maximum while the run has events for the team.
        for i, start in enumerate(clock.segment_starts()):
            end = clock.segment_end(i)
            times = [start, *(t for t in mine if start <= t <= end), end]
            for a, b in pairwise(times):
                if b - a > timedelta(minutes=s.max_silence_min):
                    ta, tb = clock.scenario_hour(a), clock.scenario_hour(b)
                    assert state.activity(codes, ta, tb) == 0, (track, a, b)
        # Spread over the hour, not in bursts: within a segment, at least spacing_min apart.
        for i in range(len(clock.segments)):
            last = i == len(clock.segments) - 1
            inside = [t for t in mine if clock.segment_starts()[i] <= t
                      and (t < clock.segment_end(i) or (last and t == clock.segment_end(i)))]
            assert all(b - a >= timedelta(minutes=s.spacing_min)
                       for a, b in pairwise(inside)), (track, inside)
    # Similar events become one inject with a list.
    big = build_msel(run, exercise(run, teams=["meldkamer", *TEAMS]))
    reports = [i for i in big if i.kind == "emergency_report"]
    assert reports and all(i.track == "Meldkamer" for i in reports)
    assert max(len(i.sources) for i in reports) > 1
    gaps = [b.deliver_at - a.deliver_at for a, b in pairwise(reports)]
    assert min(gaps) > timedelta(minutes=0)


@pytest.mark.slow
def test_texts_times_and_names(run, played, english):
    injects, _ = played
    places = names_in(run)
    start = run.start
    for inj in injects:
        # One rounding rule: the scenario time and the simulated time agree to the minute.
        minutes = int(inj.scenario_time[2:].split(":")[0]) * 60 + int(inj.scenario_time[-2:])
        assert inj.simulated_at == start + timedelta(minutes=minutes), inj
        assert inj.deliver_at.second == 0
        # Every summary names a place (ENDEX only ends play).
        if inj.kind != "endex":
            assert any(p in inj.message for p in places), inj.message
        for bad in ("Coordinatiepunt", "coordinatiepunt", "(en)", "(s) ", "gebeurtenis(sen)",
                    "Continuiteit"):
            assert bad not in inj.message + inj.subject + inj.expected_action, (bad, inj)
    text = " ".join(i.message for i in injects)
    assert "coördinatiepunt" in text.lower()
    # English is equal in content: the same injects, times, teams and sources.
    assert len(english) == len(injects)
    for nl, en in zip(injects, english, strict=True):
        assert (nl.deliver_at, nl.scenario_time, nl.kind, nl.sources) == (
            en.deliver_at, en.scenario_time, en.kind, en.sources)
        assert en.message.startswith("OEFENING")
    assert "Wat u" not in " ".join(i.message for i in english)


def test_density_settings_are_checked():
    cfg = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    known = None
    bad = {**cfg, "min_per_team_hour": 8, "max_per_team_hour": 6, "spacing_min": 15,
           "max_silence_min": float("nan"), "merge_min": -1}
    with pytest.raises(InputError) as err:
        settings_from(bad, known)
    text = str(err.value)
    for key in ("injects.min_per_team_hour", "injects.spacing_min", "injects.max_silence_min",
                "injects.merge_min"):
        assert key in text, key
    assert "at most max_per_team_hour (6)" in text and "nan" in text
    ok = settings_from({**cfg, "min_per_team_hour": 2, "spacing_min": 10}, known)
    assert (ok.min_per_team_hour, ok.max_per_team_hour, ok.spacing_min) == (2, 6, 10.0)


@pytest.mark.slow
def test_teams_must_name_the_right_kind_of_site_inside_the_scope_and_the_run(run):
    with pytest.raises(InputError) as err:
        exercise(run, teams=["nsp:FS-GM0193-1", "cp:SP-GM0193-001", "gbt:GM0193"],
                 regions=["Twente"], segments=[{"from_h": 2, "to_h": 900}])
    text = str(err.value)
    assert "'FS-GM0193-1' is a coordination_point, not a support_point: use cp:FS-GM0193-1" \
        in text
    assert "'SP-GM0193-001' is a support_point, not a coordination_point: use nsp:" in text
    assert "gbt:GM0193" in text and "outside the scope" in text
    assert "after its horizon (168 h)" in text
    with pytest.raises(InputError) as err:
        exercise(run, segments=[{"from_h": 2, "to_h": float("nan")}])
    assert "injects.segments[0]" in str(err.value)
    # A coordination point in play passes Zwolle's emergency reports on to the meldkamer.
    s = exercise(run, teams=["meldkamer", "cp:FS-GM0193-1"])
    injects = build_msel(run, s)
    via_cp = [i for i in injects if i.kind == "emergency_report"
              and i.track.startswith("Coördinatiepunt")]
    assert via_cp and all("doorzetten naar de meldkamer" in i.expected_action for i in via_cp)
    assert not any(i.kind == "emergency_report" and i.track == "Meldkamer"
                   and "Zwolle" in i.message.split("\n")[0] for i in injects)
