"""The levers of a package as Optuna parameters, and the assured norm of a package."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import optuna

from sim.plan.package import Package
from sim.plan.settings import PlanSettings


def assured(norms: list[float], share: float) -> float:
    """The highest level reached in at least ``share`` of the seeds.

    With norms sorted from high to low it is the ceil(share x n)-th: e.g. with 4
    seeds and 0.75 the third best, so three of the four reach it.
    """
    ranked = sorted(norms, reverse=True)
    return float(ranked[max(math.ceil(share * len(ranked) - 1e-9), 1) - 1])


@dataclass(frozen=True)
class Space:
    """The levers as integer Optuna parameters (steps, counts, indices), per region."""

    regions: tuple[str, ...]
    settings: PlanSettings

    def bounds(self) -> dict[str, tuple[int, int]]:
        """Every parameter's lowest and highest value, in a fixed order."""
        lv = self.settings.levers
        out: dict[str, tuple[int, int]] = {}
        for r in self.regions:
            out[f"fixed.{r}"] = (0, lv.steps(lv.fixed_share_step))
            out[f"stations.{r}"] = (0, lv.steps(lv.station_share_step))
            out[f"mobile.{r}"] = (0, lv.mobile_max_extra)
            out[f"trucks.{r}"] = (0, lv.trucks_max_extra)
        out["autonomy"] = (0, len(lv.autonomy_h) - 1)
        if lv.satellite:
            out["satellite"] = (0, 1)
        out["volunteers"] = (0, len(lv.volunteer_levels) - 1)
        return out

    def suggest(self, trial: optuna.Trial) -> Package:
        """Draw a package."""
        return self.package_of({name: trial.suggest_int(name, lo, hi)
                                for name, (lo, hi) in self.bounds().items()})

    def package_of(self, params: Mapping[str, int]) -> Package:
        """The package the parameters describe."""
        lv = self.settings.levers

        def share(steps: int, step: float) -> float:
            return min(round(steps * step, 6), 1.0)

        return Package(
            fixed_share={r: share(params[f"fixed.{r}"], lv.fixed_share_step)
                         for r in self.regions},
            station_share={r: share(params[f"stations.{r}"], lv.station_share_step)
                           for r in self.regions},
            mobile_extra={r: int(params[f"mobile.{r}"]) for r in self.regions},
            trucks_extra={r: int(params[f"trucks.{r}"]) for r in self.regions},
            autonomy_h=float(lv.autonomy_h[params["autonomy"]]),
            satellite=bool(params.get("satellite", 0)),
            volunteers_per_100k=float(lv.volunteer_levels[params["volunteers"]]))

    def params_of(self, package: Package) -> dict[str, int]:
        """The parameters that give ``package`` (inverse of :meth:`package_of`)."""
        lv = self.settings.levers
        out: dict[str, int] = {}
        for r in self.regions:
            out[f"fixed.{r}"] = round(package.fixed_share[r] / lv.fixed_share_step)
            out[f"stations.{r}"] = round(package.station_share[r] / lv.station_share_step)
            out[f"mobile.{r}"] = int(package.mobile_extra[r])
            out[f"trucks.{r}"] = int(package.trucks_extra[r])
        out["autonomy"] = lv.autonomy_h.index(package.autonomy_h)
        if lv.satellite:
            out["satellite"] = int(package.satellite)
        out["volunteers"] = lv.volunteer_levels.index(package.volunteers_per_100k)
        return out

    def moves(self, package: Package, direction: int) -> list[Package]:
        """Packages one step away on one lever (``direction`` -1: down, +1: up)."""
        params = self.params_of(package)
        out = []
        for name, (lo, hi) in self.bounds().items():
            value = params[name] + direction
            if lo <= value <= hi:
                out.append(self.package_of({**params, name: value}))
        return out


def uniform(regions: tuple[str, ...], fixed: float, stations: float, mobile: int,
            trucks: int, autonomy: float) -> Package:
    """The same choices in every region."""
    return Package(fixed_share=dict.fromkeys(regions, fixed),
                   station_share=dict.fromkeys(regions, stations),
                   mobile_extra=dict.fromkeys(regions, mobile),
                   trucks_extra=dict.fromkeys(regions, trucks),
                   autonomy_h=autonomy, satellite=False, volunteers_per_100k=0.0)
