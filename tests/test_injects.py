"""Injects for exercise designers: the MSEL drawn from a run, its rules and its files."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import Called, call_main, shared_run

from sim.cli.injects import main as injects_main
from sim.injects.export import CONTROLLER_ONLY, PLAYER_COLUMNS, write_msel
from sim.injects.generate import generate
from sim.injects.msel import build_msel, known_names, settings_from
from sim.injects.sources import load_run
from sim.results.folder import read_table

#: Two regions with injects; no research figures (not what these tests are about).
SCOPE = ["region.select.regions=[VNOG,Twente]", "injects.enabled=true", "research.figures=false",
         "research.gis=false"]


@pytest.fixture(scope="module")
def run_folder(shared_root) -> Path:
    """A run with injects, made once per session (read only)."""
    return shared_run(shared_root, "injects", SCOPE)


@pytest.fixture(scope="module")
def msel(run_folder) -> pd.DataFrame:
    frame = pd.read_csv(run_folder / "injects" / "msel_controller.csv", keep_default_na=False)
    frame["deliver_at"] = pd.to_datetime(frame["deliver_at"])
    return frame


@pytest.fixture(scope="module")
def settings(run_folder):
    run = load_run(run_folder)
    return settings_from(run.config["injects"], known_names(run))


def test_a_run_with_injects_enabled_writes_every_version(run_folder, msel):
    names = sorted(p.name for p in (run_folder / "injects").iterdir())
    assert names == ["cards_controller.html", "cards_player.html", "msel_controller.csv",
                     "msel_controller.json", "msel_controller.xlsx", "msel_player.csv",
                     "msel_player.json", "msel_player.xlsx"]
    assert len(msel) >= 20
    assert set(msel["track"]) >= {"Meldkamer", "ROT VNOG", "ROT Twente"}


def test_injects_are_in_time_order_and_inside_play(msel, settings):
    assert msel["deliver_at"].is_monotonic_increasing
    assert list(msel["id"]) == [f"I{n:03d}" for n in range(1, len(msel) + 1)]
    clock = settings.clock
    spans = [(start, start + timedelta(hours=seg.play_h))
             for start, seg in zip(clock.segment_starts(), clock.segments, strict=True)]
    for at in msel["deliver_at"]:
        assert any(a <= at.to_pydatetime() <= b for a, b in spans), at


def test_every_source_exists_in_the_run(run_folder, msel):
    events = read_table(run_folder, "events")
    cases = set(read_table(run_folder, "vulnerable_cases")["case"])
    sources = [s for text in msel["sources"] for s in text.split()]
    assert sources
    for s in sources:
        if s.startswith("E"):
            assert int(s[1:]) < len(events)
        else:
            assert s in cases
    # Sources point at the events the injects are about.
    grid = msel[msel["subject"].str.startswith("Stroomuitval")]
    for text in grid["sources"]:
        assert events.loc[int(text.split()[0][1:]), "kind"] == "grid"


def test_the_density_limit_holds(run_folder, msel, settings):
    hour = ((msel["deliver_at"] - pd.Timestamp(settings.clock.start))
            // pd.Timedelta(hours=1))
    per = msel.groupby([msel["track"], hour]).size()
    assert per.max() <= settings.max_per_team_hour
    # A tighter cap bites and still holds; the frames (STARTEX, ENDEX) are always kept.
    run = load_run(run_folder)
    tight = dataclasses.replace(settings, max_per_team_hour=2, spacing_min=5.0)
    injects = build_msel(run, tight)
    counts = defaultdict(int)
    for inj in injects:
        counts[(inj.track, (inj.deliver_at - tight.clock.start) // timedelta(hours=1))] += 1
    assert max(counts.values()) == 2
    assert len(injects) < len(msel)
    assert {i.track for i in injects if i.kind == "startex"} == set(msel["track"])


def test_methods_respect_the_communications_state(run_folder):
    run = load_run(run_folder)
    s = settings_from(run.config["injects"], known_names(run))
    injects = build_msel(run, s)
    phone = [i for i in injects if i.method == "telefoon"]
    others = [i for i in injects if i.method in ("koerier", "DARES-radio", "C2000")]
    assert phone and others
    for inj in phone:
        event = run.events.loc[int(inj.sources[0][1:])]
        here = str(event["municipality"])
        t = inj.scenario_h
        assert run.service_up(here, "mobile", t) or run.service_up(here, "fixed_network", t)
    for inj in others:
        event = run.events.loc[int(inj.sources[0][1:])] if inj.sources[0].startswith("E") \
            else None
        if event is not None and not inj.contingency:
            here = str(event["municipality"])
            assert not (run.service_up(here, "mobile", inj.scenario_h)
                        and run.service_up(here, "fixed_network", inj.scenario_h))


def test_players_never_see_expected_actions_or_notes(run_folder, msel):
    folder = run_folder / "injects"
    actions = {a for a in msel["expected_action"] if a} | {n for n in msel["notes"] if len(n) > 5}
    with (folder / "msel_player.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == list(PLAYER_COLUMNS)
    assert not set(header) & set(CONTROLLER_ONLY)
    for name in ("msel_player.csv", "msel_player.json", "cards_player.html"):
        text = (folder / name).read_text(encoding="utf-8")
        for action in actions:
            assert action not in text, (name, action)
    wb = openpyxl.load_workbook(folder / "msel_player.xlsx")
    cells = {str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r}
    assert not cells & actions
    # The controller cards do show them.
    assert next(iter(actions)) in (folder / "cards_controller.html").read_text(encoding="utf-8")


def test_every_message_is_marked_as_an_exercise(msel):
    assert msel["message"].str.startswith("OEFENING").all()


def test_contingency_and_situation_injects(msel, settings):
    cont = msel[msel["contingency"] == 1]
    main = msel[msel["contingency"] == 0]
    assert len(cont) >= 1
    for _, c in cont.iterrows():
        earlier = main[(main["track"] == c["track"]) & (main["sources"] == c["sources"])]
        assert len(earlier) == 1 and earlier["deliver_at"].iloc[0] < c["deliver_at"]
        assert "vervolg" in c["message"]
    situations = msel[msel["subject"].str.startswith("Tijdsprong")]
    starts = {pd.Timestamp(s) for s in settings.clock.segment_starts()[1:]}
    assert len(situations) == len(set(msel["track"])) and set(situations["deliver_at"]) == starts
    assert situations["sources"].str.split().str.len().min() > 10
    assert situations["message"].str.contains("uur na het einde van de vorige speelronde").all()


def test_the_workbook_has_the_sheets_and_types(run_folder, msel, settings):
    wb = openpyxl.load_workbook(run_folder / "injects" / "msel_controller.xlsx")
    assert wb.sheetnames[:2] == ["MSEL", "Klok"]
    assert set(wb.sheetnames[2:]) == set(msel["track"])
    clock = wb["Klok"]
    assert clock.max_row == 1 + len(settings.clock.segments)
    assert clock.cell(row=2, column=2).value == settings.clock.start
    ws = wb["MSEL"]
    # As designers use it: a filter on every column, wrapped text, printed landscape
    # on A4, one page wide, with the header repeated on every page.
    assert ws.auto_filter.ref == ws.dimensions
    assert ws.cell(row=2, column=11).alignment.wrap_text
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.freeze_panes == "B2"
    assert ws.max_row == len(msel) + 1
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Nr", "Scenariotijd", "Gesimuleerde tijd", "Aanbieden om"]
    assert isinstance(ws.cell(row=2, column=4).value, datetime)
    assert ws.cell(row=2, column=4).number_format == "yyyy-mm-dd hh:mm"
    assert ws.column_dimensions["K"].width == 80
    per_track = sum(wb[name].max_row - 1 for name in wb.sheetnames[2:])
    assert per_track == len(msel)


def test_same_run_and_settings_give_the_same_msel_and_english_on_request(run_folder, tmp_path):
    a, _, _ = generate(run_folder, [], tmp_path / "a")
    b, _, _ = generate(run_folder, [], tmp_path / "b")
    for name in ("msel_controller.csv", "msel_controller.json", "cards_player.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    en, injects, _ = generate(run_folder, ["language=en"], tmp_path / "en")
    assert all(i.message.startswith("OEFENING") for i in injects)
    assert any(i.subject.startswith("Time jump") for i in injects)
    assert "Spelerscel" not in (en / "cards_player.html").read_text(encoding="utf-8")


def test_hostile_names_come_out_harmless(run_folder, tmp_path):
    run = load_run(run_folder)
    evil_town = '<script>alert("x")</script>'
    evil_site = '=HYPERLINK("http://evil","klik")'
    code = "GM0153"
    run.municipality_name[code] = evil_town
    for info in run.sites.values():
        if info["municipality"] == code:
            info["name"] = evil_site
    s = settings_from({**run.config["injects"], "teams": ["meldkamer", f"gbt:{code}"],
                       "municipalities": [code]}, known_names(run))
    s = dataclasses.replace(s, title="=cmd|' /C calc'!A0 <img src=x>")
    injects = build_msel(run, s)
    assert any(evil_town in i.message or evil_site in i.message for i in injects)
    # Fields that start with a name are neutralised as well.
    injects[0] = dataclasses.replace(injects[0], subject=evil_site, sender="@SUM(1+1)",
                                     track="+31 6 000", to="-2+3")
    write_msel(tmp_path / "out", injects, s)
    for name in ("cards_controller.html", "cards_player.html"):
        html = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html
    rows = list(csv.reader((tmp_path / "out" / "msel_controller.csv").open(encoding="utf-8")))
    cells = [c for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "@", "-")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert {"'@SUM(1+1)", "'+31 6 000", "'-2+3"} <= set(cells)
    wb = openpyxl.load_workbook(tmp_path / "out" / "msel_controller.xlsx")
    for ws in wb.worksheets:
        for r in ws.iter_rows():
            for c in r:
                assert c.data_type != "f"
                assert not (isinstance(c.value, str) and c.value.startswith("="))
    data = json.loads((tmp_path / "out" / "msel_controller.json").read_text(encoding="utf-8"))
    assert data["title"].startswith("=cmd")  # JSON is data, not a spreadsheet: kept as is


def test_bad_settings_are_named_and_nothing_is_written(run_folder, tmp_path, capsys):
    out = tmp_path / "bad"

    def command(*args: str) -> Called:
        return call_main(injects_main, [str(run_folder), *args], capsys)

    proc = command("--out", str(out), "teams=[rot:Limburg,gbt]", "max_per_team_hour=0",
                   "language=fr", "segments=[{from_h: 6, to_h: 2}]", "colour=red")
    assert proc.returncode == 2
    assert "injects.colour" in proc.stderr and "unknown key" in proc.stderr
    assert not out.exists()
    proc = command("--out", str(out), "teams=[rot:Limburg,gbt]", "max_per_team_hour=0",
                   "language=fr", "segments=[{from_h: 6, to_h: 2}]")
    assert proc.returncode == 2
    for text in ("rot:Limburg", "gbt needs its municipality", "injects.max_per_team_hour",
                 "injects.language", "to_h (2) must be later"):
        assert text in proc.stderr, text
    assert not out.exists()
    # The segment syntax of python -m sim (Hydra's) means the same here: a bad segment
    # written without spaces is read as segments (and named), not as odd mapping keys.
    proc = command("--out", str(out), "segments=[{from_h:6,to_h:2}]")
    assert proc.returncode == 2 and "to_h (2) must be later" in proc.stderr, proc.stderr
    proc = command("--out", str(out), "language=en", "language=en,nl")
    assert proc.returncode == 2 and "no sweeps" in proc.stderr
    assert not out.exists()
    # The run folder's own injects are never overwritten.
    proc = command()
    assert proc.returncode == 2 and "refusing to overwrite" in proc.stderr


def test_status_injects_agree_with_the_time_series(run_folder, msel):
    status = msel[msel["subject"].str.startswith("Stand noodsteunpunten")]
    assert len(status) >= 2
    series = pd.read_csv(run_folder / "timeseries_region.csv").set_index("hour")
    numbers = status["message"].str.extract(r"(\d+) noodsteunpunten gepland, \d+ geactiveerd, "
                                            r"(\d+) open, waarvan (\d+) volledig operationeel")
    status = status.assign(planned=numbers[0].astype(int), open=numbers[1].astype(int),
                           full=numbers[2].astype(int), hour=status["scenario_time"].str[2:4]
                           .astype(int))
    checked = 0
    for hour, rows in status.groupby("hour"):
        rows = rows.drop_duplicates("subject")  # the same status may go to ROT and RBT
        if rows["subject"].nunique() < 2:
            continue  # both regions are needed for the region-wide share
        checked += 1
        assert rows["full"].sum() / rows["planned"].sum() == pytest.approx(
            series.loc[hour, "local_points_operational_share"], abs=1e-4)
        assert rows["open"].sum() / rows["planned"].sum() == pytest.approx(
            series.loc[hour, "local_points_open_share"], abs=1e-4)
    assert checked >= 1


def test_fuel_injects_rest_on_the_generators_records(run_folder, msel):
    events = read_table(run_folder, "events")
    fuel = msel[msel["subject"].str.contains("randstof een kwart of minder|Brandstofverzoek")
                & (msel["contingency"] == 0)]
    assert len(fuel) > 0
    for text in fuel["sources"]:
        kinds = [events.loc[int(s[1:]), "kind"] for s in text.split()]
        assert kinds == ["fuel_request", "fuel_low"] * (len(kinds) // 2)
    # A request goes to whoever can grant it: the ROT is asked to set priorities, never
    # told to ask the ROT.
    rot = fuel[fuel["track"].str.startswith("ROT")]
    assert len(rot) > 0
    assert not rot["expected_action"].str.contains("bij het ROT").any()
    assert rot["expected_action"].str.contains("prioriteren").all()


@pytest.mark.slow
def test_the_list_command_names_what_the_settings_can_select(default_run, capsys):
    def listing(what: str) -> Called:
        return call_main(injects_main, ["--list", what, str(default_run)], capsys)

    municipalities = listing("municipalities")
    assert municipalities.returncode == 0, municipalities.stderr
    zwolle = [line.split() for line in municipalities.stdout.splitlines()
              if line.split()[:1] == ["GM0193"]]
    assert zwolle == [["GM0193", "Zwolle", "IJsselland"]]
    assert len(municipalities.stdout.splitlines()) == 1 + 76
    teams = listing("teams").stdout
    assert "gbt:GM" in teams and "rot:" in teams and "Coördinatiepunt" in teams
    regions = listing("regions").stdout
    assert all(r in regions for r in ("VNOG", "VGGM", "VGZ", "IJsselland", "Twente"))
    sites = listing("sites").stdout
    assert "coordination_point" in sites and "support_point" in sites
    assert not (default_run / "injects").exists()  # nothing written
    bad = listing("towns")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_the_injects_command_takes_the_segments_as_python_m_sim_does(run_folder, tmp_path):
    outs = []
    for i, seg in enumerate(("segments=[{from_h:2,to_h:4},{from_h:24,to_h:26,speed:2}]",
                             "segments=[{from_h: 2, to_h: 4}, {from_h: 24, to_h: 26, "
                             "speed: 2}]")):
        out = tmp_path / f"m{i}"
        proc = subprocess.run([sys.executable, "-m", "sim.cli.injects", str(run_folder),
                               "--out", str(out), seg], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads((out / "msel_controller.json").read_text(encoding="utf-8")))
    assert outs[0]["injects"] == outs[1]["injects"]
    end = datetime.fromisoformat(outs[0]["end"])
    start = datetime.fromisoformat(outs[0]["start"])
    assert end - start == timedelta(hours=3)  # 2 h + 2 h at double speed


def test_a_run_made_before_a_setting_existed_takes_its_default(run_folder, tmp_path):
    import shutil

    import yaml

    copy = tmp_path / "old_run"
    shutil.copytree(run_folder, copy, ignore=shutil.ignore_patterns("injects"))
    config = yaml.safe_load((copy / "config.yaml").read_text(encoding="utf-8"))
    for key in ("min_per_team_hour", "max_silence_min", "merge_min", "spacing_min"):
        del config["injects"][key]
    (copy / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _, _, s = generate(copy, ["min_per_team_hour=2"], tmp_path / "out")
    assert (s.min_per_team_hour, s.spacing_min, s.max_silence_min) == (2, 10.0, 45.0)


def test_control_characters_never_reach_an_export_or_the_terminal(run_folder, tmp_path):
    run = load_run(run_folder)
    code = "GM0153"
    run.municipality_name[code] = "Enschede\r=cmd|' /C calc'!A0\x1b[31m\x07\x0b"
    s = settings_from({**run.config["injects"], "teams": ["meldkamer", f"gbt:{code}"],
                       "municipalities": [code]}, known_names(run))
    injects = build_msel(run, s)
    assert any("\r" in i.message or "\x1b" in i.message or "\x1b" in i.track for i in injects)
    write_msel(tmp_path / "out", injects, s)  # Excel refused ESC, VT and BEL before
    out = tmp_path / "out"
    for name in ("msel_controller.csv", "msel_player.csv", "cards_controller.html",
                 "msel_controller.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert not any(ch in text for ch in "\x1b\x07\x0b\r"), name
    rows = list(csv.reader((out / "msel_controller.csv").open(encoding="utf-8", newline="")))
    assert {len(r) for r in rows} == {len(rows[0])}  # no row split by a carriage return
    assert not any(c.startswith("=") for r in rows for c in r)
    wb = openpyxl.load_workbook(out / "msel_controller.xlsx")
    assert any("Enschede" in ws.title for ws in wb.worksheets)


def test_the_locc_answers_a_region_with_what_it_granted_and_when_it_arrives(run_folder):
    from sim.injects.single import Singles
    from sim.injects.sources import candidates

    run = load_run(run_folder)
    events = run.events
    detail = events["detail"].str.split(":")
    granted = events[events["kind"] == "aid_granted"]
    assert len(granted) > 0, "two dark regions ask for help from outside"
    found = candidates(run)
    # Candidate.values is the event's values (a dict), not a pandas attribute
    answers = [(c, c.values) for c in found if c.kind == "locc_answer"]  # noqa: PD011
    assert sum(v["units"] for _, v in answers) == len(granted)
    arrived = events["kind"] == "aid_arrived"
    arrival = dict(zip(detail[arrived].str[0], events.loc[arrived, "time"], strict=True))
    for c, v in answers:
        same = (events["kind"] == "aid_granted") & (events["time"] == c.time) \
            & (detail.str[2] == v["region"]) & (detail.str[1] == v["resource"])
        assert same.sum() == v["units"]
        assert v["arrive_h"] == max(arrival[r] for r in detail[same].str[0])
    asked = (events["kind"] == "aid_requested") & (detail.str[1] == "generator")
    regions = {c.values["region"] for c in found if c.kind == "mutual_aid"}  # noqa: PD011
    assert regions == set(detail[asked].str[2])
    s = settings_from(run.config["injects"], known_names(run))
    assert s.language == "nl"
    first = answers[0][0]
    text = Singles(run, s).inject(first, s.teams[0], run.at(first.time))
    assert text.sender == "LOCC" and "Het LOCC kent ROT" in text.message
    assert "verwachte aankomst" in text.message and "?" not in text.message
