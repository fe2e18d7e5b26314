"""The search for the cheapest package that meets the norm (or the best for a budget).

1. The static pre-screen (``sim.plan.screen``) designates the points and ranks
   the sites; :func:`proposals` prices a grid of uniform packages with a static
   estimate of the norm and proposes the cheapest for each estimated level.
2. Optuna's NSGA-II sampler searches the levers for two objectives, cost (down)
   and the *assured norm* (up): the norm reached in at least ``seed_share`` of
   the seeds (:func:`assured`). Every package runs with the same seeds
   (common random numbers). With a budget, packages above it are infeasible.
3. Deterministic and resumable: the study lives in memory and is rebuilt batch
   by batch from the search seed (one sampler per batch, seeded by its
   number); each model run is read from the evaluation store when it is there.
   A search stopped and started again proposes the same packages and runs only
   what is missing, so it ends with the same frontier.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd

from sim.params.scenario import Params
from sim.plan.package import Package, total
from sim.plan.propose import proposals, refinements
from sim.plan.screen import Screen
from sim.plan.settings import PlanSettings
from sim.plan.space import Space, assured
from sim.results.batch import EvaluationStore, evaluate_all

#: The scenario as given (no package), evaluated for comparison.
BASELINE = "baseline"


@dataclass
class Trials:
    """Every package evaluated: choices, cost, results per seed."""

    packages: dict[str, Package]
    costs: dict[str, dict[str, dict[str, float]]]
    order: list[str]
    #: The batch (generation) in which each package was first proposed.
    batch: dict[str, int] = field(default_factory=dict)


def search(base_cfg: Mapping[str, Any], base: Params, screen: Screen,
           settings: PlanSettings, store: EvaluationStore,
           progress: Callable[[str], None] = lambda _: None) -> Trials:
    """Run the search; every result goes to ``store``. Deterministic for its settings."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    regions = tuple(sorted(screen.regions))
    seeds = [base.seed + i for i in range(settings.seeds)]
    space = Space(regions, settings)
    trials = Trials(packages={}, costs={}, order=[])

    def cost_of(p: Package) -> float:
        return total(p.cost(screen, base, settings.costs))

    def evaluate(batch: list[tuple[str, dict[str, Any]]], label: str) -> None:
        evaluate_all(base_cfg, batch, seeds, store, settings.jobs,
                     on_done=lambda d, n: progress(f"{label}: run {d} of {n}"),
                     launcher=settings.launcher)

    evaluate([(BASELINE, {})], "the scenario as given")
    budget = settings.budget_eur

    cp_min = settings.coordination_points

    def constraints(t: optuna.trial.FrozenTrial) -> list[float]:
        # Feasible when every value is <= 0: within the budget, enough coordination points.
        return [t.user_attrs["cost"] - budget if budget is not None else 0.0,
                cp_min - t.user_attrs["cp"] if cp_min is not None else 0.0]

    study = optuna.create_study(directions=["minimize", "maximize"])
    for p in proposals(screen, base, settings, cost_of, settings.batch):
        study.enqueue_trial(space.params_of(p), skip_if_exists=True)
    n_batches = math.ceil(settings.trials / settings.batch)
    for b in range(n_batches):
        with warnings.catch_warnings():  # constraints_func is marked experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.sampler = optuna.samplers.NSGAIISampler(
                population_size=settings.batch, seed=settings.search_seed * 100_003 + b,
                constraints_func=constraints)
        size = min(settings.batch, settings.trials - b * settings.batch)
        if b > 0:  # up to half a generation of local moves where the decision is
            scores = table(trials, store, seeds, settings, with_baseline=False)
            for p in refinements(scores, trials.packages, space, settings, cost_of,
                                 trials.packages, size // 2):
                study.enqueue_trial(space.params_of(p))
        asked = [study.ask() for _ in range(size)]
        packages = [space.suggest(t) for t in asked]
        evaluate([(p.key, p.overrides(screen, base)) for p in packages],
                 f"batch {b + 1} of {n_batches}")
        for t, p in zip(asked, packages, strict=True):
            cost = p.cost(screen, base, settings.costs)
            norms = [store.get(p.key, s)["all"]["norm_72h_share"] for s in seeds]
            t.set_user_attr("cost", total(cost))
            t.set_user_attr("cp", float(np.mean([
                store.get(p.key, s)["all"]["coordination_points_functional_share"] or 0.0
                for s in seeds])))
            study.tell(t, [total(cost), assured(norms, settings.seed_share)])
            if p.key not in trials.packages:
                trials.packages[p.key] = p
                trials.costs[p.key] = cost
                trials.order.append(p.key)
                trials.batch[p.key] = b + 1
        progress(f"batch {b + 1} of {n_batches} done: {len(trials.order)} packages")
    return trials


def table(trials: Trials, store: EvaluationStore, seeds: list[int],
          settings: PlanSettings, with_baseline: bool = True) -> pd.DataFrame:
    """One row per package (the baseline first): cost, results over the seeds, the levers.

    Shares are fractions (0-1); ``meets_target``: the norm target (and the
    coordination-point condition, if set) is met; ``batch``: the generation in
    which the search first proposed the package (0: the scenario as given).
    """
    rows = []
    keys = [BASELINE, *trials.order] if with_baseline else list(trials.order)
    for key in keys:
        res = [store.get(key, s) for s in seeds]
        norms = [r["all"]["norm_72h_share"] for r in res]
        cost = trials.costs.get(key, {})
        row: dict[str, Any] = {
            "package": key,
            "cost_eur": round(total(cost), 2),
            "norm_assured": assured(norms, settings.seed_share),
            "norm_mean": float(np.mean(norms)),
            "norm_min": float(np.min(norms)),
            "norm_max": float(np.max(norms)),
        }
        for k in ("coordination_points_functional_share", "within_reach_share",
                  "within_reach_operational_share", "vulnerable_reached_in_time_share",
                  "vulnerable_harmed"):
            vals = [r["all"][k] for r in res if r["all"][k] is not None]
            row[k] = float(np.mean(vals)) if vals else None
        row["local_points_planned"] = res[0]["all"]["local_points_planned"]
        for s, n in zip(seeds, norms, strict=True):
            row[f"norm_seed_{s}"] = n
        row["batch"] = trials.batch.get(key, 0)
        if key in trials.packages:
            for lever, value in trials.packages[key].as_dict().items():
                if isinstance(value, dict):
                    row.update({f"{lever}.{r}": v for r, v in value.items()})
                else:
                    row[lever] = value
        rows.append(row)
    df = pd.DataFrame(rows)
    cp = settings.coordination_points
    df["meets_target"] = (df["norm_assured"] >= settings.norm - 1e-12) & (
        True if cp is None
        else df["coordination_points_functional_share"].fillna(0.0) >= cp - 1e-12)
    df.loc[df["package"] == BASELINE, "meets_target"] = False
    return df.round(6)


def frontier(df: pd.DataFrame) -> pd.DataFrame:
    """Packages no other beats on both cost and assured norm (cheapest first)."""
    d = df.sort_values(["cost_eur", "norm_assured", "norm_mean", "package"],
                       ascending=[True, False, False, True])
    best = -np.inf
    keep = []
    for i, row in d.iterrows():
        if row["norm_assured"] > best + 1e-12:
            keep.append(i)
            best = row["norm_assured"]
    return d.loc[keep].reset_index(drop=True)


#: Assured norms closer than this count as equal when choosing within a budget: the
#: cheaper package is chosen (half a point is below what the seeds can tell apart).
NORM_TIE = 0.005


def choose(df: pd.DataFrame, settings: PlanSettings) -> tuple[str, str, bool]:
    """The chosen package's key, why, and whether it meets what was asked.

    With a budget: the best assured norm within it (ties within ``NORM_TIE`` to
    the cheaper), among packages meeting the coordination-point condition if set.
    Without: the cheapest package that meets the target. When nothing qualifies,
    the closest package found, and False.
    """
    d = df[df["package"] != BASELINE]
    if d.empty:
        return BASELINE, "no package was evaluated", False
    cp = settings.coordination_points
    if cp is not None:
        ok_cp = d[d["coordination_points_functional_share"].fillna(0.0) >= cp - 1e-12]
        if ok_cp.empty:
            best = d.sort_values(["coordination_points_functional_share", "norm_assured",
                                  "cost_eur", "package"],
                                 ascending=[False, False, True, True]).iloc[0]
            return (str(best["package"]), "no package found has enough coordination points "
                    "functioning: the one with the most", False)
        d = ok_cp
    if settings.budget_eur is not None:
        ok = d[d["cost_eur"] <= settings.budget_eur + 1e-6]
        if ok.empty:
            return (BASELINE, "no package found fits the budget: the scenario as given is "
                    "the only choice", False)
        near = ok[ok["norm_assured"] >= ok["norm_assured"].max() - NORM_TIE]
        best = near.sort_values(["cost_eur", "norm_assured", "norm_mean", "package"],
                                ascending=[True, False, False, True]).iloc[0]
        return str(best["package"]), "the best assured norm within the budget", True
    ok = d[d["norm_assured"] >= settings.norm - 1e-12]
    if not ok.empty:
        best = ok.sort_values(["cost_eur", "norm_assured", "package"],
                              ascending=[True, False, True]).iloc[0]
        return str(best["package"]), "the cheapest package that meets the target", True
    best = d.sort_values(["norm_assured", "cost_eur", "package"],
                         ascending=[False, True, True]).iloc[0]
    return str(best["package"]), "the target was not met: the best assured norm found", False


logging.getLogger("optuna").setLevel(logging.WARNING)
