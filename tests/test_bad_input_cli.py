"""Bad settings that a hostile tester found accepted, or caught only after writing (issue 18).

Each must now end ``python -m sim`` with exit 2, name the key and the bad value,
and leave the results folder without a single file.
"""

from __future__ import annotations

import pytest
from conftest import call_main, files_under, run_cli

INJECTS = ["injects.enabled=true", "research.figures=false", "research.gis=false"]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "field", "shown"), [
    pytest.param(["outage.waves.0.regions=[Atlantis]"], "outage.waves.0.regions", "Atlantis",
                 id="wave-unknown-region"),
    pytest.param(["outage.waves.1.municipalities=[GM9999]"], "outage.waves.1.municipalities",
                 "GM9999", id="wave-unknown-municipality"),
    pytest.param(["outage.start=2026-01-15T17:00+09:00"], "outage.start", "+09:00",
                 id="start-with-offset"),
    pytest.param([*INJECTS, "horizon_h=80", "injects.segments=[{from_h:100,to_h:120}]"],
                 "injects.segments", "after its horizon (80 h)", id="segments-after-horizon"),
    pytest.param([*INJECTS, "injects.break_min=-30"], "injects.break_min", "-30",
                 id="negative-break"),
    pytest.param([*INJECTS, "injects.segments=[{from_h:2,to_h:nan}]"], "injects.segments[0]",
                 "nan", id="segment-nan"),
    pytest.param([*INJECTS, "injects.segments=[{from_h:2,to_h:inf}]"], "injects.segments[0]",
                 "inf", id="segment-inf"),
    pytest.param([*INJECTS, "injects.contingency_after_min=nan"],
                 "injects.contingency_after_min", "nan", id="contingency-nan"),
    pytest.param([*INJECTS, "injects.start=2026-03-12T09:00+01:00"], "injects.start", "+01:00",
                 id="inject-start-with-offset"),
])
def test_bad_setting_is_named_and_nothing_is_written(tmp_path, args, field, shown):
    results = tmp_path / "results"
    proc = run_cli(args, results)
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = next((x for x in proc.stderr.splitlines() if field in x), "")
    assert shown in line, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert files_under(results) == []


@pytest.mark.slow
def test_no_name_places_anything_outside_results_dir(tmp_path):
    results = tmp_path / "a" / "b" / "results"
    proc = run_cli(["name=../../../escaped"], results, cwd=tmp_path)
    assert proc.returncode == 2 and "name = '../../../escaped'" in proc.stderr
    made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert made == [], made  # not even the parents of results_dir that it made


@pytest.mark.slow
def test_a_results_dir_through_a_file_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    proc = run_cli([], blocker / "sub", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-1500:]
    assert "results_dir" in proc.stderr and "is a file, not a folder" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert files_under(tmp_path) == [blocker]


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["segments=[{from_h:2,to_h:nan}]", "contingency_after_min=nan",
                                     "break_min=-30", "segments=[{from_h:2,to_h:inf}]"])
def test_the_injects_command_names_bad_settings_and_makes_no_folder(shared_root, tmp_path,
                                                                    setting, capsys):
    from conftest import shared_run

    from sim.cli.injects import main

    run = shared_run(shared_root, "injects", ["region.select.regions=[VNOG,Twente]",
                                              "injects.enabled=true", "research.figures=false",
                                              "research.gis=false"])
    out = tmp_path / "parent" / "msel"
    proc = call_main(main, [str(run), "--out", str(out), setting], capsys)
    assert proc.returncode == 2, proc.stderr
    assert f"injects.{setting.split('=')[0]}" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "parent").exists()


@pytest.mark.slow
def test_a_sweep_that_stops_at_compose_time_leaves_nothing(tmp_path):
    results = tmp_path / "results"
    proc = run_cli(["-m", "horizon_h=80,abc", "research.figures=false", "research.gis=false"],
                   results, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-1500:]
    assert "horizon_h" in proc.stderr and "'abc'" in proc.stderr
    assert not results.exists()


@pytest.mark.slow
def test_the_other_commands_name_bad_folders(shared_root, tmp_path, capsys):
    from conftest import shared_run

    from sim.cli import aggregate, figures, injects

    run = shared_run(shared_root, "injects", ["region.select.regions=[VNOG,Twente]",
                                              "injects.enabled=true", "research.figures=false",
                                              "research.gis=false"])

    for proc in (call_main(injects.main, [str(run), "--out", "/dev/null/x"], capsys),
                 call_main(figures.main, [str(run), "--out", "/dev/null/x"], capsys),
                 call_main(aggregate.main, [str(tmp_path)], capsys),
                 call_main(aggregate.main, [str(run)], capsys)):
        assert proc.returncode == 2, proc.stderr[-1500:]
        assert "Traceback" not in proc.stderr and "error:" in proc.stderr
    assert not list(run.glob("sweep_*"))  # nothing written into the run folder


def test_figures_never_draw_from_a_killed_runs_hidden_folder(tmp_path):
    from sim.research.figures import find_runs

    hidden = tmp_path / ".2026-01-01_00-00-00-000000.partial"
    hidden.mkdir()
    (hidden / "events.parquet").write_bytes(b"half")
    (tmp_path / "2026-01-01_00-00-00-000000").mkdir()  # Hydra's empty folder
    with pytest.raises(FileNotFoundError):
        find_runs(tmp_path)


def test_an_unreadable_injects_override_is_named_by_its_own_key_without_control_bytes():
    from sim.cli.injects import as_yaml
    from sim.errors import InputError

    with pytest.raises(InputError) as exc:
        as_yaml(["language=en", "title=Oefening\x1b[31m rood\x07"])
    text = str(exc.value)
    assert "- title = 'Oefening[31m rood'" in text and "language" not in text
    assert not any(ch in text for ch in "\x1b\x07")
