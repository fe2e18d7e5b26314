"""blackout-sim-sensitivity: the register, Morris and Sobol' on known functions, resumption."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import call_main, compose_config

from sim.errors import InputError
from sim.params.validate import prepare
from sim.results.batch import EvaluationStore
from sim.sensitivity.register import Uncertain, apply, read_register
from sim.sensitivity.study import StudySettings, read_settings, run_study

REGISTER = Path(__file__).resolve().parents[1] / "configs" / "uncertainty" / "default.yaml"
SETTINGS = Path(__file__).resolve().parents[1] / "configs" / "sensitivity" / "default.yaml"


def ishigami_evaluator(calls: list[int]) -> Any:
    """Ishigami's function of the config's x1, x2, x3 (and a dummy x4), as a model."""
    def evaluate(jobs, seeds, store, n_jobs, on_done) -> None:
        todo = [(k, c, s) for k, c in dict(jobs).items() for s in seeds if (k, s) not in store]
        for key, cfg, seed in todo:
            x1, x2, x3 = cfg["x"]["x1"], cfg["x"]["x2"], cfg["x"]["x3"]
            y = math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3 ** 4 * math.sin(x1)
            store.add(key, seed, {"all": {"y": y, "half": y / 2 + cfg["x"]["x4"] * 0}})
            calls.append(1)
    return evaluate


def ishigami_inputs() -> tuple[dict[str, Any], tuple[Uncertain, ...]]:
    cfg = {"seed": 1, "x": {"x1": 0.0, "x2": 0.0, "x3": 0.0, "x4": 0.0}}
    entries = [{"key": f"x.x{i}", "low": -math.pi, "high": math.pi, "why": "test"}
               for i in (1, 2, 3, 4)]
    return cfg, read_register(entries, cfg)


def settings(**kw: Any) -> StudySettings:
    base = yaml.safe_load(SETTINGS.read_text())
    base.update(kw)
    return read_settings(base)


def test_morris_and_sobol_rank_the_ishigami_inputs_and_resumption_runs_nothing_again(
        tmp_path: Path) -> None:
    cfg, inputs = ishigami_inputs()
    calls: list[int] = []
    s = settings(trajectories=30, sobol_top=3, sobol_n=512, seed_runs=3)
    store = EvaluationStore(tmp_path / "e.jsonl")
    result = run_study(cfg, inputs, s, store, ishigami_evaluator(calls), indicators=("y",))
    m = result.morris.set_index("input")
    # x4 does nothing; x3 acts only with x1 (high sigma, lower mu*).
    assert m.loc["x.x4", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert m.loc["x.x4", "rank"] == 4
    assert set(m.sort_values("mu_star").index[-2:]) == {"x.x1", "x.x2"}
    assert len(result.morris) == 4  # one row per input and indicator
    # Sobol' over the top three: analytical S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244.
    sob = result.sobol.set_index("input")
    assert set(sob.index) == {"x.x1", "x.x2", "x.x3"}
    for key, s1, st in (("x.x1", 0.314, 0.558), ("x.x2", 0.442, 0.442), ("x.x3", 0.0, 0.244)):
        assert abs(sob.loc[key, "S1"] - s1) <= max(2 * sob.loc[key, "S1_conf"], 0.05)
        assert abs(sob.loc[key, "ST"] - st) <= max(2 * sob.loc[key, "ST_conf"], 0.05)
    assert sob.loc["x.x3", "ST"] > sob.loc["x.x3", "S1"] + 0.15  # interaction only
    n = len(calls)
    # Every distinct sample once (Morris trajectories share some points): at most runs().
    assert 0.9 * s.runs(4) <= n <= s.runs(4)
    again = run_study(cfg, inputs, s, EvaluationStore(tmp_path / "e.jsonl"),
                      ishigami_evaluator(calls), indicators=("y",))
    assert len(calls) == n  # read back, nothing run again
    assert again.morris.equals(result.morris) and again.sobol.equals(result.sobol)


def test_the_register_names_every_bad_entry() -> None:
    cfg = compose_config(["region.select.regions=[IJsselland]"])
    entries = [
        {"key": "staffing.nope", "low": 0, "high": 1, "why": "x"},
        {"key": "staffing.volunteer_availability_day", "low": 0.6, "high": 0.9, "why": "x"},
        {"key": "staffing.shift_hours", "low": 9, "high": 6, "why": "x"},
        {"key": "support_points.setup", "scale": [2, 3], "why": "x"},
        {"key": "staffing.rest_hours", "low": 4, "high": 12},
        {"key": "support_points.key_holder", "scale": [0.5, 2], "why": "  "},
    ]
    with pytest.raises(InputError) as err:
        read_register(entries, cfg)
    text = str(err.value)
    for words in ("staffing.nope", "must hold the config's value 0.5", "low < high",
                  "0 < low <= 1 <= high", "staffing.rest_hours).why",
                  "support_points.key_holder).why"):
        assert words in text, words
    # A range outside what the model allows is named at the corner it breaks.
    bad = [{"key": "staffing.professional_availability", "low": 0.5, "high": 1.5, "why": "x"}]
    with pytest.raises(InputError) as err:
        read_register(bad, cfg, check=prepare)
    assert "staffing.professional_availability" in str(err.value)
    assert "high ends" in str(err.value)


def test_the_shipped_register_is_valid_and_names_estimates() -> None:
    cfg = compose_config()
    entries = yaml.safe_load(REGISTER.read_text())["inputs"]
    inputs = read_register(entries, cfg, check=prepare)
    assert len(inputs) >= 80
    assert {u.kind for u in inputs} == {"estimate", "sourced"}
    # A scale entry multiplies every hour value of its distribution.
    u = next(u for u in inputs if u.key == "support_points.activation.decision")
    assert u.scale
    out = apply(cfg, [u], [2.0])
    assert out["support_points"]["activation"]["decision"]["low"] == \
        2 * cfg["support_points"]["activation"]["decision"]["low"]
    assert np.isclose(out["support_points"]["activation"]["decision"]["high"],
                      2 * cfg["support_points"]["activation"]["decision"]["high"])


def test_bad_study_settings_are_named() -> None:
    base = yaml.safe_load(SETTINGS.read_text())
    base.update(sobol_n=100, method="sobolz", trajectories=1, levels=3)
    with pytest.raises(InputError) as err:
        read_settings(base)
    assert {"sens.sobol_n", "sens.method", "sens.trajectories", "sens.levels"} <= set(
        err.value.fields())


TOY_REGISTER = ("inputs:\n"
                "  - {key: comms.sitrep_interval_h, low: 3, high: 5, why: toy}\n"
                "  - {key: support_points.autonomy_h, low: 8, high: 72, why: toy}\n")
#: IJsselland with generators at every point and no help from outside (trucks from
#: outside would take the tanks' autonomy out of play); 80 h is enough for the 72-h norm.
TOY_SCENARIO = ["region.select.regions=[IJsselland]", "horizon_h=80",
                "support_points.backup_power=all", "aid.enabled=false"]


@pytest.mark.slow
def test_the_command_ranks_the_one_input_that_matters_first_and_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    import pandas as pd

    register = tmp_path / "toy.yaml"
    register.write_text(TOY_REGISTER)
    # The smallest study each method allows but the uncertainty band's (2 inputs: 2 + 4
    # + 2 x 3 + 4 x 4 = 28 model runs), in the command's process (the parallel path:
    # test_the_cluster_path_gives_the_same_results_as_local_processes).
    args = [sys.executable, "-m", "sim.cli.sensitivity", *TOY_SCENARIO, "sens.jobs=1",
            "sens.method=both", "sens.trajectories=2",
            "sens.seed_runs=2", "sens.band_runs=4", "sens.sobol_n=4", "sens.sobol_top=2",
            "--register", str(register), "--out", str(tmp_path / "out"),
            f"results_dir={tmp_path / 'results'}"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    morris = pd.read_csv(tmp_path / "out" / "sensitivity_morris.csv")
    sobol = pd.read_csv(tmp_path / "out" / "sensitivity_sobol.csv")
    assert len(morris) == 2 * 4 and len(sobol) == 2 * 4  # input x indicator
    norm = morris[morris["indicator"] == "norm_72h_share"].set_index("input")
    assert norm.loc["support_points.autonomy_h", "rank"] == 1
    assert norm.loc["support_points.autonomy_h", "mu_star"] > 0.3
    assert "support_points.autonomy_h" in (tmp_path / "out" / "sensitivity.md").read_text()
    bands = pd.read_csv(tmp_path / "out" / "uncertainty_bands.csv")
    b = bands[bands["indicator"] == "norm_72h_share"].set_index("source")
    assert b.loc["inputs", "width_90"] > b.loc["seeds", "width_90"]
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert set(samples["design"]) == {"morris", "sobol", "band"}
    runs = (tmp_path / "out" / "evaluations.jsonl").read_text()
    assert len(runs.splitlines()) == 28
    # The same command again (its main(), in this process): read back, nothing run.
    from sim.cli.sensitivity import main

    again = call_main(main, args[3:], capsys)
    assert again.returncode == 0 and "resuming" in again.stderr
    assert (tmp_path / "out" / "evaluations.jsonl").read_text() == runs  # nothing run again
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "sensitivity_morris.csv"),
                                  morris)


def test_the_command_refuses_a_bad_register_or_folder_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input exits 2 before any model run (in this process: the same main())."""
    from sim.cli.sensitivity import main

    register = tmp_path / "toy.yaml"

    def command(out: Path) -> tuple[int, str]:
        proc = call_main(main, [*TOY_SCENARIO, "--register", str(register), "--out", str(out),
                                f"results_dir={tmp_path / 'results'}"], capsys)
        return proc.returncode, proc.stderr

    # A key the config does not have: exit 2, named, nothing written.
    register.write_text("inputs:\n  - {key: comms.nope, low: 1, high: 2, why: x}\n")
    code, err = command(tmp_path / "bad")
    assert code == 2 and "comms.nope" in err
    assert not (tmp_path / "bad").exists()
    # Not YAML with inputs; a folder that is not a study.
    register.write_text("just words")
    code, err = command(tmp_path / "bad")
    assert code == 2 and "inputs:" in err
    assert not (tmp_path / "bad").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    register.write_text(TOY_REGISTER)
    code, err = command(tmp_path / "other")
    assert code == 2 and "not empty" in err
    assert [f.name for f in (tmp_path / "other").iterdir()] == ["notes.txt"]
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_the_cluster_path_gives_the_same_results_as_local_processes(tmp_path: Path) -> None:
    """submitit (as on Slurm, here as local processes) equals joblib, run for run."""
    from sim.results.batch import EvaluationStore, Launcher, evaluate_all

    cfg = compose_config(["region.select.regions=[IJsselland]", "horizon_h=80"])
    jobs = [("a", {"seed": 1}), ("b", {"staffing": {"rest_hours": 10.0}})]
    here = EvaluationStore(tmp_path / "here.jsonl")
    evaluate_all(cfg, jobs, [1, 2], here, 2)
    there = EvaluationStore(tmp_path / "there.jsonl")
    evaluate_all(cfg, jobs, [1, 2], there, None,
                 launcher=Launcher("submitit_local", tmp_path / "submitit", {"timeout_min": 10},
                                   runs_per_job=3))
    assert there.results == here.results
    assert len(there.results) == 4
