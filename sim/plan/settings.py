"""Settings of a plan search (``configs/plan/default.yaml``): target, levers, costs, search.

:func:`read_plan` checks every key, type and range of the ``plan`` mapping and
returns frozen, typed settings, or raises one :class:`~sim.errors.InputError`
naming every problem.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sim.errors import Problems
from sim.params.reader import MAX_HOURS, Reader, check_keys
from sim.results.batch import Launcher, SlurmKeys, read_launcher

# --- schema: the keys a plan config may have (unknown keys are bad input) -------------


@dataclass
class _TargetKeys:
    norm: float = 0.9
    seed_share: float = 0.75
    coordination_points: float | None = None


@dataclass
class _LeverKeys:
    fixed_share_step: float = 0.1
    station_share_step: float = 0.25
    mobile_max_extra: int = 10
    trucks_max_extra: int = 6
    autonomy_h: list[float] = field(default_factory=list)
    satellite: bool = True
    volunteers_max_extra_per_100k: float = 60
    volunteers_step: float = 20


@dataclass
class _CostKeys:
    station_generator_eur: float = 0.0
    point_generator_eur: float = 0.0
    connection_point_eur: float = 0.0
    mobile_generator_eur: float = 0.0
    fuel_storage_eur_per_l: float = 0.0
    generator_upkeep_eur_per_year: float = 0.0
    fuel_truck_eur_per_year: float = 0.0
    satellite_phone_eur: float = 0.0
    volunteer_eur: float = 0.0


@dataclass
class _PlanKeys:
    target: _TargetKeys = field(default_factory=_TargetKeys)
    budget_eur: float | None = None
    min_cover: float = 0.9
    residents_per_point: float | None = None
    seeds: int = 4
    trials: int = 160
    batch: int = 16
    jobs: int | None = None
    search_seed: int = 1
    levers: _LeverKeys = field(default_factory=_LeverKeys)
    costs: _CostKeys = field(default_factory=_CostKeys)
    launcher: str = "joblib"
    slurm: SlurmKeys = field(default_factory=SlurmKeys)


# --- typed settings -------------------------------------------------------------------


@dataclass(frozen=True)
class Costs:
    """First-year cost of each lever's unit, EUR (investment plus a year of running)."""

    station_generator_eur: float
    point_generator_eur: float
    connection_point_eur: float
    mobile_generator_eur: float
    fuel_storage_eur_per_l: float
    generator_upkeep_eur_per_year: float
    fuel_truck_eur_per_year: float
    satellite_phone_eur: float
    volunteer_eur: float


@dataclass(frozen=True)
class Levers:
    """What a package may change, and in which steps."""

    fixed_share_step: float
    station_share_step: float
    mobile_max_extra: int
    trucks_max_extra: int
    autonomy_h: tuple[float, ...]
    satellite: bool
    volunteers_max_extra_per_100k: float
    volunteers_step: float

    def steps(self, step: float) -> int:
        """Number of steps of ``step`` in [0, 1]."""
        return round(1 / step)

    @property
    def volunteer_levels(self) -> tuple[float, ...]:
        """Extra volunteers per 100,000 residents a package may choose."""
        n = math.floor(self.volunteers_max_extra_per_100k / self.volunteers_step + 1e-9)
        return tuple(round(k * self.volunteers_step, 6) for k in range(n + 1))


@dataclass(frozen=True)
class PlanSettings:
    """A plan search: target or budget, designation, seeds, search size, levers, costs."""

    norm: float
    seed_share: float
    #: Coordination points functioning at the deadline (mean over the seeds) at least
    #: this share, for a package to count; None: no such condition.
    coordination_points: float | None
    budget_eur: float | None
    min_cover: float
    residents_per_point: float | None
    seeds: int
    trials: int
    batch: int
    jobs: int | None
    search_seed: int
    levers: Levers
    costs: Costs
    #: Where the runs go (``sim.results.batch.Launcher``; the folder is the command's).
    launcher: Launcher = field(default_factory=Launcher)

    def fingerprint(self) -> dict[str, Any]:
        """What decides the search's trials (not where or on how many processes they run)."""
        out = asdict(self)
        out.pop("jobs")
        out.pop("launcher")
        return out


def read_plan(cfg: Mapping[str, Any]) -> PlanSettings:
    """Validate the ``plan`` mapping; raise every problem at once."""
    problems = Problems()
    check_keys(cfg, _PlanKeys, "plan.", problems)
    c = Reader({"plan": cfg}, problems)
    k = "plan.levers"
    autonomy = c.get(f"{k}.autonomy_h")
    hours: tuple[float, ...] = ()
    if not isinstance(autonomy, list | tuple) or not autonomy:
        problems.add(f"{k}.autonomy_h", autonomy, "must be a non-empty list of hours, e.g. "
                     "[8, 24, 48, 72]")
    else:
        hours = tuple(c.number(f"{k}.autonomy_h.{i}", lo=0, hi=MAX_HOURS, lo_open=True)
                      for i in range(len(autonomy)))
    levers = Levers(
        fixed_share_step=c.number(f"{k}.fixed_share_step", lo=0.01, hi=1),
        station_share_step=c.number(f"{k}.station_share_step", lo=0.01, hi=1),
        mobile_max_extra=c.integer(f"{k}.mobile_max_extra", lo=0, hi=1000),
        trucks_max_extra=c.integer(f"{k}.trucks_max_extra", lo=0, hi=1000),
        autonomy_h=tuple(sorted(set(hours))),
        satellite=c.flag(f"{k}.satellite"),
        volunteers_max_extra_per_100k=c.number(f"{k}.volunteers_max_extra_per_100k", lo=0,
                                               hi=10_000),
        volunteers_step=c.number(f"{k}.volunteers_step", lo=0, hi=10_000, lo_open=True),
    )
    costs = Costs(**{f.name: c.number(f"plan.costs.{f.name}", lo=0, hi=1e9)
                     for f in fields(Costs)})
    settings = PlanSettings(
        norm=c.number("plan.target.norm", lo=0, hi=1, lo_open=True),
        seed_share=c.number("plan.target.seed_share", lo=0, hi=1, lo_open=True),
        coordination_points=c.optional_number("plan.target.coordination_points", lo=0, hi=1),
        budget_eur=c.optional_number("plan.budget_eur", lo=0, hi=1e12, lo_open=True),
        min_cover=c.number("plan.min_cover", lo=0, hi=1, lo_open=True),
        residents_per_point=c.optional_number("plan.residents_per_point", lo=100, hi=1e7),
        seeds=c.integer("plan.seeds", lo=1, hi=100),
        trials=c.integer("plan.trials", lo=1, hi=100_000),
        batch=c.integer("plan.batch", lo=2, hi=1000),
        jobs=None if c.get("plan.jobs") in (None, c.ABSENT)
        else c.integer("plan.jobs", lo=1, hi=256),
        search_seed=c.integer("plan.search_seed", lo=0, hi=2**31 - 1),
        levers=levers,
        costs=costs,
        launcher=read_launcher(c, "plan"),
    )
    problems.raise_if_any()
    return settings

