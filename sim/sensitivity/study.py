"""A sensitivity study: designs run with the model, indices, and uncertainty bands.

:func:`run_study` runs the scenario as given over ``seed_runs`` seeds (the
seed-only band), a Morris screen over every registered input, and Sobol'
indices over the screen's top inputs. Every sample runs with the config's seed
(common random numbers: the differences between samples are the inputs'), in
parallel; every result is kept in an :class:`~sim.results.batch.EvaluationStore`
so a stopped study continues where it was and the same settings give the same
tables. The model is a parameter (``evaluate``): the tests pass functions with
known indices (Ishigami) through the same path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Problems
from sim.params.reader import Reader, check_keys
from sim.results.batch import (
    EvaluationStore,
    Launcher,
    SlurmKeys,
    evaluate_all,
    read_launcher,
)
from sim.sensitivity.methods import (
    morris_design,
    morris_table,
    sobol_design,
    sobol_table,
    top_inputs,
)
from sim.sensitivity.register import Uncertain, apply

#: The headline indicators a study explains (``sim.results.regions``, whole area).
INDICATORS = ("norm_72h_share", "within_reach_operational_share",
              "vulnerable_reached_in_time_share", "coordination_points_functional_share")
#: Words for them.
WORDS = {"norm_72h_share": "the 72-hour norm",
         "within_reach_operational_share": "residents in reach of an operational point",
         "vulnerable_reached_in_time_share": "vulnerable residents reached in time",
         "coordination_points_functional_share": "coordination points functioning"}
#: morris: the screen alone; both: the screen, then Sobol' indices of its top inputs.
METHODS = ("morris", "both")


@dataclass
class _Keys:
    method: str = "both"
    trajectories: int = 6
    levels: int = 4
    sobol_top: int = 6
    sobol_n: int = 64
    seed_runs: int = 10
    band_runs: int = 64
    sample_seed: int = 1
    jobs: int | None = None
    launcher: str = "joblib"
    slurm: SlurmKeys = field(default_factory=SlurmKeys)


@dataclass(frozen=True)
class StudySettings:
    """How the study samples and runs."""

    method: str
    trajectories: int
    levels: int
    sobol_top: int
    sobol_n: int
    seed_runs: int
    #: Samples with every input drawn at random in its range: the uncertainty band.
    band_runs: int
    sample_seed: int
    jobs: int | None
    #: Where the runs go (``sim.results.batch.Launcher``; the folder is the command's).
    launcher: Launcher = field(default_factory=Launcher)

    def fingerprint(self) -> dict[str, Any]:
        """What decides the results (not where or on how many processes they run)."""
        out = asdict(self)
        for key in ("jobs", "launcher"):
            out.pop(key)
        return out

    def runs(self, n_inputs: int) -> int:
        """Model runs the study makes at most."""
        morris = self.trajectories * (n_inputs + 1)
        sobol = (self.sobol_n * (min(self.sobol_top, n_inputs) + 2)
                 if self.method == "both" else 0)
        return self.seed_runs + self.band_runs + morris + sobol


def read_settings(cfg: Mapping[str, Any]) -> StudySettings:
    """Validate the ``sens`` mapping; raise every problem at once."""
    problems = Problems()
    check_keys(cfg, _Keys, "sens.", problems)
    c = Reader({"sens": cfg}, problems)
    n = c.integer("sens.sobol_n", lo=4, hi=2**20)
    if n & (n - 1):
        problems.add("sens.sobol_n", n, "must be a power of two (Sobol' sequences)")
    levels = c.integer("sens.levels", lo=2, hi=20)
    if levels % 2:
        problems.add("sens.levels", levels, "must be even (an odd Morris grid biases the "
                     "elementary effects)")
    settings = StudySettings(
        method=c.choice("sens.method", METHODS),
        trajectories=c.integer("sens.trajectories", lo=2, hi=1000),
        levels=levels,
        sobol_top=c.integer("sens.sobol_top", lo=1, hi=1000),
        sobol_n=n,
        seed_runs=c.integer("sens.seed_runs", lo=2, hi=1000),
        band_runs=c.integer("sens.band_runs", lo=2, hi=100_000),
        sample_seed=c.integer("sens.sample_seed", lo=0, hi=2**31 - 1),
        jobs=None if c.get("sens.jobs") in (None, c.ABSENT)
        else c.integer("sens.jobs", lo=1, hi=256),
        launcher=read_launcher(c, "sens"),
    )
    problems.raise_if_any()
    return settings


def sample_key(x: Sequence[float]) -> str:
    """A stable identifier of one sample (its values)."""
    text = json.dumps([float(v) for v in x])
    return "x" + hashlib.sha1(text.encode()).hexdigest()[:16]


#: Runs configs: (jobs of (key, config), seeds, store, processes, progress) -> None.
Evaluator = Callable[[list[tuple[str, dict[str, Any]]], list[int], EvaluationStore,
                      int | None, Callable[[int, int], None] | None], None]


def model_evaluator(launcher: Launcher | None = None) -> Evaluator:
    """The discrete-event model, in parallel (``sim.results.batch``), on ``launcher``."""
    def evaluate(jobs: list[tuple[str, dict[str, Any]]], seeds: list[int],
                 store: EvaluationStore, n_jobs: int | None,
                 on_done: Callable[[int, int], None] | None) -> None:
        evaluate_all({}, jobs, seeds, store, n_jobs, on_done, launcher)
    return evaluate


@dataclass
class StudyResult:
    """What a study produced."""

    morris: pd.DataFrame
    sobol: pd.DataFrame | None
    bands: pd.DataFrame
    outputs: dict[str, dict[str, np.ndarray]]
    #: Every sample's input values, by design (``morris``, ``sobol``, ``band``).
    samples: pd.DataFrame


def _outputs(keys: Sequence[str], seed: int, store: EvaluationStore,
             indicators: Sequence[str]) -> dict[str, np.ndarray]:
    out = {}
    for ind in indicators:
        y = np.array([np.nan if (v := store.get(k, seed)["all"].get(ind)) is None else v
                      for k in keys], dtype=float)
        # An undefined share (nobody in danger) is rare: it counts as the design's mean.
        if np.isnan(y).any():
            y = np.where(np.isnan(y), np.nanmean(y) if (~np.isnan(y)).any() else 0.0, y)
        out[ind] = y
    return out


def _band(name: str, source: str, y: np.ndarray) -> dict[str, Any]:
    p05, p50, p95 = np.percentile(y, [5, 50, 95]) if len(y) else (np.nan,) * 3
    return {"indicator": name, "source": source, "n": len(y), "mean": float(np.mean(y)),
            "p05": float(p05), "p50": float(p50), "p95": float(p95),
            "width_90": float(p95 - p05)}


def run_study(cfg: Mapping[str, Any], inputs: Sequence[Uncertain], settings: StudySettings,
              store: EvaluationStore, evaluate: Evaluator | None = None,
              indicators: Sequence[str] = INDICATORS,
              progress: Callable[[str], None] = lambda _: None) -> StudyResult:
    """Run the study; every model run goes to ``store`` (``evaluate``: the model here)."""
    evaluate = evaluate or model_evaluator()
    seed = int(cfg["seed"])

    def run(xs: np.ndarray, label: str) -> list[str]:
        keys = [sample_key(x) for x in xs]
        jobs = list(dict(zip(keys, (apply(cfg, inputs, x) for x in xs), strict=True)).items())
        evaluate(jobs, [seed], store, settings.jobs,
                 lambda d, n: progress(f"{label}: run {d} of {n}"))
        return keys

    # The seed-only band: the scenario as given, seed after seed.
    seeds = [seed + i for i in range(settings.seed_runs)]
    evaluate([("as_given", dict(cfg))], seeds, store, settings.jobs,
             lambda d, n: progress(f"the scenario as given: run {d} of {n}"))
    by_seed = {ind: np.array([v for s in seeds
                              if (v := store.get("as_given", s)["all"].get(ind)) is not None],
                             dtype=float) for ind in indicators}
    outputs: dict[str, dict[str, np.ndarray]] = {}
    sobol = None
    designs: dict[str, np.ndarray] = {}
    x = morris_design(inputs, settings.trajectories, settings.levels, settings.sample_seed)
    designs["morris"] = x
    keys = run(x, "Morris screen")
    outputs["morris"] = _outputs(keys, seed, store, indicators)
    morris = morris_table(inputs, x, outputs["morris"], settings.levels, settings.sample_seed)
    if settings.method == "both":
        chosen = top_inputs(morris, settings.sobol_top)
        x = sobol_design(inputs, chosen, settings.sobol_n, settings.sample_seed)
        designs["sobol"] = x
        keys = run(x, "Sobol' indices")
        outputs["sobol"] = _outputs(keys, seed, store, indicators)
        sobol = sobol_table(inputs, chosen, outputs["sobol"], settings.sample_seed)
    # The uncertainty band: every input drawn at random in its range (plain Monte
    # Carlo; the Morris grid favours the ends of each range and moves one input at a time).
    rng = np.random.default_rng(settings.sample_seed)
    lows = np.array([u.low for u in inputs])
    highs = np.array([u.high for u in inputs])
    x = lows + rng.random((settings.band_runs, len(inputs))) * (highs - lows)
    designs["band"] = x
    keys = run(x, "uncertainty band")
    outputs["band"] = _outputs(keys, seed, store, indicators)
    rows = []
    for ind in indicators:
        rows.append(_band(ind, "seeds", by_seed[ind]))
        rows.append(_band(ind, "inputs", outputs["band"][ind]))
    samples = pd.concat([pd.DataFrame(xs, columns=[u.key for u in inputs])
                         .assign(design=name, sample=[sample_key(v) for v in xs])
                         for name, xs in designs.items()], ignore_index=True)
    return StudyResult(morris=morris, sobol=sobol, bands=pd.DataFrame(rows), outputs=outputs,
                       samples=samples[["design", "sample", *[u.key for u in inputs]]])


def summary_text(result: StudyResult, inputs: Sequence[Uncertain], trajectories: int,
                 top: int = 3) -> str:
    """Which inputs each indicator depends on most, which are estimates, and the bands.

    An index whose confidence interval is as wide as the index itself is marked
    uncertain; an indicator that hardly moves over the whole study is said to.
    """
    kinds = {u.key: u.kind for u in inputs}
    lines = ["# Which estimates matter", "",
             "mu*: the mean absolute change of the indicator when the input moves across its "
             "range (Morris); ST: the share of the indicator's variance the input causes, "
             "alone or with others (Sobol'). (x): a factor on the hours of a time "
             "distribution. Bands: 5-95 % of the indicator when every input is drawn at "
             "random in its range, against chance alone (the scenario as given, seed after "
             "seed).", ""]
    for ind, words in WORDS.items():
        b = result.bands[result.bands["indicator"] == ind].set_index("source")
        lines.append(f"**{words.capitalize()}**")
        spread = max((float(np.ptp(o[ind])) for o in result.outputs.values() if ind in o),
                     default=0.0)
        if spread < 1e-3:
            lines += ["- hardly moves in this study (range under 0.001): no ranking", ""]
            continue
        for name, table, col, conf in (("Morris mu*", result.morris, "mu_star",
                                        "mu_star_conf"),
                                       ("Sobol' total index ST", result.sobol, "ST",
                                        "ST_conf")):
            if table is None or table.empty or ind not in set(table["indicator"]):
                continue
            t = table[table["indicator"] == ind].sort_values(col, ascending=False).head(top)
            t = t[t[col] > 0]
            if t.empty:
                lines.append(f"- {name}: no effect seen ({trajectories} trajectories)")
                continue
            named = [f"{r['input']} ({r[col]:.3g} +- {r[conf]:.2g}"
                     + ("; uncertain: raise the sample" if r[conf] >= r[col] else "")
                     + "; " + ("ESTIMATE: measure it" if kinds.get(r["input"]) == "estimate"
                               else "sourced") + ")" for _, r in t.iterrows()]
            lines.append(f"- depends most on, by {name}: " + ", ".join(named))
        if {"seeds", "inputs"} <= set(b.index):
            lines.append(
                f"- spread (5-95 %): {b.loc['inputs', 'p05']:.4f}-{b.loc['inputs', 'p95']:.4f} "
                f"when every estimate varies, {b.loc['seeds', 'p05']:.4f}-"
                f"{b.loc['seeds', 'p95']:.4f} from chance alone")
        lines.append("")
    return "\n".join(lines)
