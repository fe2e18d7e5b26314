"""Morris screening and Sobol indices over the register, with SALib.

Designs are made in the inputs' own units (uniform over each range); the
analyses return one row per input and indicator. Pure: the model runs happen
elsewhere (``sim.sensitivity.study``), and a design with the same seed is the
same design.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.sensitivity.register import Uncertain


def problem(inputs: Sequence[Uncertain]) -> dict[str, Any]:
    """The SALib problem: names and bounds."""
    return {"num_vars": len(inputs), "names": [u.key for u in inputs],
            "bounds": [[u.low, u.high] for u in inputs]}


def morris_design(inputs: Sequence[Uncertain], trajectories: int, levels: int,
                  seed: int) -> np.ndarray:
    """Morris trajectories: ``trajectories x (inputs + 1)`` points."""
    return np.asarray(morris_sample.sample(problem(inputs), N=trajectories,
                                           num_levels=levels, seed=seed))


def morris_table(inputs: Sequence[Uncertain], x: np.ndarray,
                 outputs: Mapping[str, np.ndarray], levels: int, seed: int) -> pd.DataFrame:
    """Elementary effects per input and indicator: mu*, its confidence, sigma, rank.

    ``mu_star_scaled`` divides mu* by the indicator's spread over the design (its
    standard deviation), so indicators of different units can be compared.
    """
    rows = []
    for name, y in outputs.items():
        y = np.asarray(y, float)
        res = morris_analyze.analyze(problem(inputs), x, y, num_levels=levels, seed=seed)
        spread = float(np.std(y)) or 1.0
        order = np.argsort(-np.asarray(res["mu_star"]), kind="stable")
        rank = np.empty(len(inputs), dtype=int)
        rank[order] = np.arange(1, len(inputs) + 1)
        for i, u in enumerate(inputs):
            rows.append({"input": u.key, "indicator": name,
                         "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]),
                         "mu": float(res["mu"][i]), "sigma": float(res["sigma"][i]),
                         "mu_star_scaled": float(res["mu_star"][i]) / spread,
                         "rank": int(rank[i]), "kind": u.kind, "scale": u.scale,
                         "low": u.low, "high": u.high, "default": u.default, "why": u.why})
    return pd.DataFrame(rows)


def top_inputs(morris: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` inputs with the largest scaled mu* over all indicators."""
    best = morris.groupby("input", sort=False)["mu_star_scaled"].max()
    return list(best.sort_values(ascending=False, kind="stable").index[:n])


def sobol_design(inputs: Sequence[Uncertain], chosen: Sequence[str], n: int,
                 seed: int) -> np.ndarray:
    """Saltelli/Sobol' points over the ``chosen`` inputs, the others at their defaults.

    ``n`` base samples (a power of two) give ``n x (len(chosen) + 2)`` points.
    Returned in the full input space (one column per input of the register).
    """
    sub = [u for u in inputs if u.key in chosen]
    design = np.asarray(sobol_sample.sample(problem(sub), n, calc_second_order=False,
                                            seed=seed))
    full = np.tile([u.default for u in inputs], (len(design), 1))
    for j, u in enumerate(sub):
        full[:, [v.key for v in inputs].index(u.key)] = design[:, j]
    return full


def sobol_table(inputs: Sequence[Uncertain], chosen: Sequence[str],
                outputs: Mapping[str, np.ndarray], seed: int) -> pd.DataFrame:
    """First-order and total Sobol' indices with 95 % confidence, per input and indicator."""
    sub = [u for u in inputs if u.key in chosen]
    rows = []
    for name, y in outputs.items():
        y = np.asarray(y, float)
        if float(np.std(y)) == 0.0:  # the indicator does not move: no variance to share
            res = {k: np.zeros(len(sub)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol_analyze.analyze(problem(sub), y, calc_second_order=False, seed=seed)
        order = np.argsort(-np.asarray(res["ST"]), kind="stable")
        rank = np.empty(len(sub), dtype=int)
        rank[order] = np.arange(1, len(sub) + 1)
        for i, u in enumerate(sub):
            rows.append({"input": u.key, "indicator": name,
                         "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                         "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i]),
                         "rank": int(rank[i]), "kind": u.kind, "scale": u.scale,
                         "low": u.low, "high": u.high, "default": u.default, "why": u.why})
    return pd.DataFrame(rows)
