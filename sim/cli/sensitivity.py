"""``blackout-sim-sensitivity [key=value ...]``: which estimates move the answers.

Arguments starting with ``sens.`` change ``configs/sensitivity/default.yaml``
(method, trajectories, Sobol' size, seed runs); every other ``key=value``
composes the scenario exactly as ``python -m sim`` does. The uncertain inputs
and their ranges are the register ``configs/uncertainty/default.yaml`` (or
``--register``). The study folder (``<results_dir>/sensitivity/<name>``, or
``--out``) holds every model run as it ends: the same command again continues a
stopped study; other settings for the folder are refused. It writes
``sensitivity_morris.csv`` and ``sensitivity_sobol.csv`` (one row per input and
indicator), ``uncertainty_bands.csv``, ``sensitivity.md`` (the summary), and a
ranked chart per indicator and method. Bad input exits with status 2 before
anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from sim.cli.common import (
    Progress,
    claim_folder,
    clock,
    compose_config,
    guarded,
    load_group,
    split_overrides,
)
from sim.errors import InputError, Problem
from sim.params.validate import prepare
from sim.paths import CONFIG_DIR
from sim.research.sensitivity import bands_figure, ranked_figure
from sim.results.batch import EvaluationStore, run_once
from sim.results.files import dump_json, write_atomic, write_text_atomic
from sim.sensitivity.register import read_register
from sim.sensitivity.study import (
    WORDS,
    model_evaluator,
    read_settings,
    run_study,
    summary_text,
)

SETTINGS = CONFIG_DIR / "sensitivity" / "default.yaml"
REGISTER = CONFIG_DIR / "uncertainty" / "default.yaml"


def run_sensitivity(scenario_overrides: Sequence[str], sens_overrides: Sequence[str],
                    register: Path, out: Path | None) -> Path:
    """Compose, validate, run the study and write; return its folder."""
    settings = read_settings(load_group(SETTINGS, "sens", sens_overrides))
    cfg = compose_config(scenario_overrides)
    base = prepare(cfg)
    try:
        doc = yaml.safe_load(register.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError([Problem("--register", str(register), f"cannot be read: {exc}")]
                         ) from exc
    if not isinstance(doc, dict) or "inputs" not in doc:
        raise InputError([Problem("--register", str(register), "must be a YAML mapping with "
                                  "a list under inputs: (see configs/uncertainty/default.yaml)")])
    entries = doc["inputs"]
    inputs = read_register(entries, cfg, check=prepare)
    folder = out or Path(cfg["results_dir"]) / "sensitivity" / base.params.name
    claim_folder(folder / "study_state.json", {
        "scenario": {k: v for k, v in cfg.items() if k != "results_dir"},
        "settings": settings.fingerprint(), "register": entries}, "study")
    store = EvaluationStore(folder / "evaluations.jsonl")
    total = settings.runs(len(inputs))
    jobs = settings.jobs or os.cpu_count() or 1
    seed = int(cfg["seed"])
    if ("as_given", seed) not in store:  # one timed run for the estimate
        t0 = time.perf_counter()
        store.add("as_given", seed, run_once({}, cfg, seed))
        per_run = time.perf_counter() - t0
        print(f"{len(inputs)} uncertain inputs: at most {total} model runs; one takes "
              f"{per_run:.1f} s here, about {clock(per_run * total / jobs)} on {jobs} "
              "processes", file=sys.stderr)
    progress = Progress(total - len(store.results))
    launcher = dataclasses.replace(settings.launcher, folder=folder / "submitit")
    result = run_study(cfg, inputs, settings, store, model_evaluator(launcher),
                       progress=progress)
    write_atomic(folder / "sensitivity_morris.csv",
                 lambda p: result.morris.to_csv(p, index=False))
    if result.sobol is not None:
        sobol = result.sobol
        write_atomic(folder / "sensitivity_sobol.csv", lambda p: sobol.to_csv(p, index=False))
    write_atomic(folder / "uncertainty_bands.csv",
                 lambda p: result.bands.to_csv(p, index=False))
    for ind, words in WORDS.items():
        ranked_figure(result.morris, ind, "mu_star", "mu_star_conf",
                      f"{words.capitalize()}: Morris screen ({settings.trajectories} "
                      f"trajectories)", "mu* (mean absolute elementary effect)", folder,
                      f"morris_{ind}")
        if result.sobol is not None:
            ranked_figure(result.sobol, ind, "ST", "ST_conf",
                          f"{words.capitalize()}: Sobol' indices (n = {settings.sobol_n})",
                          "total-order index ST (bars), first order S1 (thin)", folder,
                          f"sobol_{ind}", second=("S1", "S1_conf"))
    bands_figure(result.bands, WORDS, folder)
    write_atomic(folder / "samples.csv", lambda p: result.samples.to_csv(p, index=False))
    text = summary_text(result, inputs, settings.trajectories)
    write_text_atomic(folder / "sensitivity.md", text)
    write_text_atomic(folder / "study.json", dump_json({
        "settings": settings.fingerprint(), "inputs": len(inputs),
        "model_runs": len(store.results), "seed": seed}))
    print("\n" + text, flush=True)
    print(f"written to {folder}", flush=True)
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    parser = argparse.ArgumentParser(
        prog="blackout-sim-sensitivity",
        description="Global sensitivity and uncertainty over the model: which estimated "
                    "inputs move the 72-hour norm, residents in reach, vulnerable residents "
                    "reached and coordination points (Morris screen, Sobol' indices).")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="sens.<key>=... changes configs/sensitivity; anything else "
                             "changes the scenario as with python -m sim")
    parser.add_argument("--register", type=Path, default=REGISTER,
                        help="the register of uncertain inputs (default: "
                             "configs/uncertainty/default.yaml)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the study folder (default: <results_dir>/sensitivity/<name>); "
                             "an existing one with the same settings is resumed")
    args = parser.parse_intermixed_args(argv)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    sens, scenario = split_overrides(args.overrides, "sens")
    guarded(lambda: run_sensitivity(scenario, sens, args.register, args.out), scenario,
            "study")


if __name__ == "__main__":
    main()
